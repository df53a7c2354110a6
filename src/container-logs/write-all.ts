import type { FileHandle } from "node:fs/promises";

/**
 * Writes all of `data` (a write to a regular file may, in theory, be short). If a write fails
 * part-way, the file is cut back to `sizeBefore`, so that a retry does not repeat half a batch.
 */
export async function writeAll(handle: FileHandle, data: Buffer, sizeBefore: number): Promise<void> {
  let done = 0;
  try {
    while (done < data.length) {
      const { bytesWritten } = await handle.write(data, done, data.length - done);
      done += bytesWritten;
    }
  } catch (err) {
    if (done > 0) await handle.truncate(sizeBefore).catch(() => undefined);
    throw err;
  }
}
