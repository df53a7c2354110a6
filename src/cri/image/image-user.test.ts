import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageUser } from "./image-user.js";

describe("imageUser follows what the kubelet expects", () => {
  const cases: [user: string, uid: bigint | undefined, username: string][] = [
    ["", undefined, ""],
    ["0", 0n, ""],
    ["1002", 1002n, ""],
    ["www-data", undefined, "www-data"],
    ["1003:1004", 1003n, ""],
    ["www-data:staff", undefined, "www-data"],
    ["www-data:1004", undefined, "www-data"],
    [":1004", undefined, ""],
    ["+7", 7n, ""],
    ["-1", -1n, ""],
    ["9223372036854775807", 9223372036854775807n, ""],
    // Past int64, Go's ParseInt fails and dockershim took it for a name.
    ["9223372036854775808", undefined, "9223372036854775808"],
    ["12ab", undefined, "12ab"],
  ];
  for (const [user, uid, username] of cases) {
    it(JSON.stringify(user), () => {
      assert.deepEqual(imageUser(user), { uid, username });
    });
  }
});
