/** The user an image runs as, in the two CRI fields the kubelet reads. */
export interface ImageUser {
  /** Set when USER names a numeric uid ("1002", "1003:1004"). */
  readonly uid: bigint | undefined;
  /** Set when USER names a user ("www-data", "www-data:staff"); "" otherwise. */
  readonly username: string;
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/**
 * Splits an image's `USER` as dockershim did and the kubelet expects: the group after ":" is dropped,
 * a number (Go's strconv.ParseInt: optional sign, int64 range) is a uid, anything else a user name.
 * The kubelet checks `runAsNonRoot` against the uid and refuses a user name it cannot verify, so a
 * numeric user must never come back as a name.
 */
export function imageUser(user: string): ImageUser {
  const colon = user.indexOf(":");
  const name = colon >= 0 ? user.slice(0, colon) : user;
  if (name === "") return { uid: undefined, username: "" };
  if (/^[+-]?\d+$/.test(name)) {
    const uid = BigInt(name);
    if (uid >= int64Min && uid <= int64Max) return { uid, username: "" };
  }
  return { uid: undefined, username: name };
}
