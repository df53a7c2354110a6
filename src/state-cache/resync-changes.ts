import type { ContainerInspect } from "../docker/index.js";
import type { ContainerChange } from "./container-change.js";

/**
 * What happened while the event stream was down, reconstructed from the cache before and after a
 * resync, in the order Docker would have reported it: a container that appeared is created (then
 * started, then died, as far as its timestamps show), one that vanished is destroyed, one whose start
 * or finish time moved was started or died. Docker keeps no event log we could replay instead (its
 * `since` window is a few hundred events and lost on a daemon restart).
 */
export function resyncChanges(before: readonly ContainerInspect[], after: readonly ContainerInspect[], timeNano: bigint): ContainerChange[] {
  const out: ContainerChange[] = [];
  const old = new Map(before.map((c) => [c.id, c]));
  const change = (action: ContainerChange["action"], current: ContainerInspect | undefined, previous: ContainerInspect | undefined, id: string): void => {
    out.push({ action, id, timeNano, current, previous, replayed: true });
  };
  for (const c of after) {
    const prev = old.get(c.id);
    old.delete(c.id);
    if (prev === undefined) {
      change("create", c, undefined, c.id);
      if (hasTime(c.state.startedAt)) change("start", c, c, c.id);
      if (!c.state.running && hasTime(c.state.finishedAt)) change("die", c, c, c.id);
      continue;
    }
    const restarted = c.state.startedAt !== prev.state.startedAt && hasTime(c.state.startedAt);
    const finished = c.state.finishedAt !== prev.state.finishedAt && hasTime(c.state.finishedAt);
    // Both moved: report them in the order they happened.
    const steps: { action: "start" | "die"; at: number }[] = [];
    if (restarted) steps.push({ action: "start", at: Date.parse(c.state.startedAt) });
    if (finished) steps.push({ action: "die", at: Date.parse(c.state.finishedAt) });
    steps.sort((a, b) => a.at - b.at);
    for (const step of steps) change(step.action, c, prev, c.id);
    if (steps.length === 0 && c.state.status !== prev.state.status) change("update", c, prev, c.id);
  }
  for (const prev of old.values()) change("destroy", undefined, prev, prev.id);
  return out;
}

function hasTime(t: string): boolean {
  return t !== "" && !t.startsWith("0001-01-01");
}
