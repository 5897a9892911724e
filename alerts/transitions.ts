import type { ThresholdRule } from './rules.js';

/**
 * The life of one alert (one rule, one series or device), as in Prometheus and Grafana:
 * inactive → pending (the condition holds, for `for`) → firing → recovering (it stopped holding, for
 * `keepFiringFor`) → resolved, back to inactive. Pure functions of the state, the input and the time;
 * the worker stores the state and sends what `event` says.
 */

export type Phase = 'pending' | 'firing' | 'recovering';

export interface AlertState {
  phase: Phase;
  /** When the condition began to hold (the start of pending). */
  startedAt: number;
  firedAt?: number;
  /** When the condition stopped holding, while recovering. */
  recoveringSince?: number;
  /** The last value that fed the alert. */
  value: number;
  /** Reading time of the newest reading that changed it (threshold alerts); stored, for restarts. */
  observedAt?: number;
}

export type AlertEvent =
  | { type: 'fired'; at: number; value: number; startedAt: number }
  | { type: 'resolved'; at: number; value: number; startedAt: number; firedAt: number };

export interface Step {
  /** null: inactive. */
  state: AlertState | null;
  event?: AlertEvent;
}

interface Bounds {
  lo?: number;
  hi?: number;
}

/** Whether a value lies beyond the bounds (above hi or below lo). */
export function beyond({ lo, hi }: Bounds, value: number): boolean {
  return (hi !== undefined && value > hi) || (lo !== undefined && value < lo);
}

/** Timing of an alert, whatever decides whether its condition holds. */
export interface Timing {
  forMs: number;
  keepFiringForMs: number;
}

/** Alerts that fire as soon as their condition holds and resolve as soon as it ends (stale, health). */
export const AT_ONCE: Timing = { forMs: 0, keepFiringForMs: 0 };

/**
 * One observation of the condition at `at`: `starts` says whether it would begin an alert, `holds`
 * whether an alert already begun carries on (looser, for hysteresis). Then the timers are checked.
 */
export function observe(timing: Timing, state: AlertState | null, starts: boolean, holds: boolean, value: number,
  at: number): Step {
  if (!state) return starts ? tick(timing, { phase: 'pending', startedAt: at, value }, at) : { state: null };
  switch (state.phase) {
    case 'pending':
      return holds ? tick(timing, { ...state, value }, at) : { state: null };
    case 'firing':
      if (holds) return { state: { ...state, value } };
      return tick(timing, { ...state, phase: 'recovering', recoveringSince: at, value }, at);
    case 'recovering':
      if (holds) return { state: { ...state, phase: 'firing', recoveringSince: undefined, value } };
      return tick(timing, { ...state, value }, at);
  }
}

/** Time passing with no new observation: a pending alert may fire, a recovering one resolve. */
export function tick(timing: Timing, state: AlertState | null, at: number): Step {
  if (!state) return { state: null };
  if (state.phase === 'pending' && at - state.startedAt >= timing.forMs) {
    const event = { type: 'fired' as const, at, value: state.value, startedAt: state.startedAt };
    return { state: { ...state, phase: 'firing', firedAt: at }, event };
  }
  if (state.phase === 'recovering' && at - state.recoveringSince! >= timing.keepFiringForMs) {
    const { value, startedAt, firedAt } = state;
    const event = { type: 'resolved' as const, at, value, startedAt, firedAt: firedAt! };
    return { state: null, event };
  }
  return { state };
}

/** A reading for a threshold rule. */
export function observeValue(rule: ThresholdRule, state: AlertState | null, value: number, at: number): Step {
  return observe(rule, state, beyond(rule.start, value), beyond(rule.clear, value), value, at);
}

/** When the next timer of this state falls due, or null: what the worker sleeps until. */
export function dueAt(timing: Timing, state: AlertState | null): number | null {
  if (state?.phase === 'pending') return state.startedAt + timing.forMs;
  if (state?.phase === 'recovering') return state.recoveringSince! + timing.keepFiringForMs;
  return null;
}

/**
 * A stale rule: the condition is "no reading for afterMs", and it cannot start within graceMs of the
 * worker's start (a series it has not heard from since a restart is not dead yet). A reading resolves it.
 */
export function observeSilence(rule: { afterMs: number; graceMs: number }, state: AlertState | null, lastSeen: number,
  workerStartedAt: number, at: number): Step {
  const silent = at - lastSeen >= rule.afterMs && at - workerStartedAt >= rule.graceMs;
  return observe(AT_ONCE, state, silent, silent, Math.round((at - lastSeen) / 1000), at);
}
