import { createHash } from "node:crypto";
import { CriError } from "../../errors/index.js";
import type { AuthConfig } from "../../gen/index.js";

/** Credentials ready for Docker. Holds secrets: never log it. */
export interface RegistryAuth {
  /** The X-Registry-Auth header value. */
  readonly header: string;
  /** A one-way digest of the credentials, so that pulls with different credentials are never merged. */
  readonly identity: string;
}

/**
 * Encodes a CRI AuthConfig as Docker's X-Registry-Auth: base64url of the JSON of Docker's
 * registry.AuthConfig, with padding, as the Go client writes it (the daemon's decoder expects it).
 *
 * Every CRI form is carried: username/password; `auth` (base64 of "user:password", as in a docker
 * config.json) decoded into them when they are empty, since the daemon itself does not read `auth`
 * for a pull; an identity token (OAuth refresh token, which Docker trades at the registry's token
 * service); a registry token (a bearer token Docker sends as is). Undefined when there is nothing
 * to send, so that anonymous pulls carry no header at all.
 */
export function encodeRegistryAuth(auth: AuthConfig | undefined): RegistryAuth | undefined {
  if (auth === undefined) return undefined;
  let { username, password } = auth;
  if (username === "" && password === "" && auth.auth !== "") [username, password] = decodeBasicAuth(auth.auth);
  const json: Record<string, string> = {};
  if (username !== "") json.username = username;
  if (password !== "") json.password = password;
  if (auth.serverAddress !== "") json.serveraddress = auth.serverAddress;
  if (auth.identityToken !== "") json.identitytoken = auth.identityToken;
  if (auth.registryToken !== "") json.registrytoken = auth.registryToken;
  if (json.username === undefined && json.password === undefined && json.identitytoken === undefined && json.registrytoken === undefined) {
    // A server address alone authenticates nothing.
    return undefined;
  }
  const text = JSON.stringify(json);
  const header = Buffer.from(text, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
  return { header, identity: createHash("sha256").update(text).digest("hex") };
}

/** `auth` of a docker config.json: base64("username:password"); the password may contain ":". */
function decodeBasicAuth(encoded: string): [username: string, password: string] {
  // Node's decoder skips characters outside the alphabet instead of failing, so check them first.
  const decoded = /^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded.trim()) ? Buffer.from(encoded.trim(), "base64").toString("utf8") : "";
  const colon = decoded.indexOf(":");
  if (colon <= 0) {
    // The value is a secret: the message says what is wrong without quoting it.
    throw new CriError("InvalidArgument", 'Invalid registry credentials: "auth" is not the base64 encoding of "username:password"');
  }
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}
