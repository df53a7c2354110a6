/** What the test image kit needs to know to build one image by importing a root filesystem tarball. */
export interface ImageRecipe {
  /** Full reference, "repository:tag". */
  readonly ref: string;
  /**
   * Dockerfile instructions applied on import (CMD, ENTRYPOINT, ENV, LABEL…), in the `changes` format of
   * `POST /images/create?fromSrc=-`.
   */
  readonly changes: readonly string[];
  /** Everything the image's content depends on; the kit hashes these with `ref` and `changes`. */
  readonly hashInputs: readonly (string | Uint8Array)[];
  /** Produces the root filesystem as a tar archive; called only when the image must be (re)built. */
  rootfs(): Promise<Buffer>;
}
