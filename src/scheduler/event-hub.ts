/**
 * The scheduler's event layer: a typed emitter whose listeners are guarded, so a listener that
 * throws is reported as an `error` event (or a process warning when nobody listens for errors)
 * instead of breaking the apply loop that emitted the event.
 */
import { EventEmitter } from 'eventemitter3';
import type { SchedulerEventName, SchedulerEvents, SchedulerListener as Listener } from './events.js';

/** A listener or its guard, as the wrapper bookkeeping stores them (only compared by identity). */
type AnyListener = object;

/** Typed, guarded events: what `Scheduler.on/once/off/listenerCount` delegate to. */
export class EventHub {
  readonly #emitter = new EventEmitter<SchedulerEvents>();
  /** User listener → the guarded wrappers registered for it, per event. */
  readonly #wrappers = new Map<string, Map<AnyListener, AnyListener[]>>();

  /** Adds a listener. */
  on<K extends SchedulerEventName>(event: K, listener: Listener<K>): void {
    this.#emitter.on(event, this.#guard(event, listener, false) as never);
  }

  /** Adds a listener that is removed after its first call. */
  once<K extends SchedulerEventName>(event: K, listener: Listener<K>): void {
    this.#emitter.once(event, this.#guard(event, listener, true) as never);
  }

  /** Removes one registration of `listener` for `event`, or every listener of `event` when `listener` is absent. */
  off<K extends SchedulerEventName>(event: K, listener?: Listener<K>): void {
    if (listener === undefined) {
      this.#emitter.removeAllListeners(event);
      this.#wrappers.delete(event);
      return;
    }
    const byListener = this.#wrappers.get(event);
    const wrappers = byListener?.get(listener);
    const wrapper = wrappers?.pop();
    if (wrappers !== undefined && wrappers.length === 0) byListener!.delete(listener);
    if (wrapper !== undefined) this.#emitter.off(event, wrapper as never);
  }

  /** How many listeners `event` has. */
  listenerCount(event: SchedulerEventName): number {
    return this.#emitter.listenerCount(event);
  }

  /** Emits `event` when someone listens (callers skip building payloads for events nobody hears). */
  emit<K extends SchedulerEventName>(event: K, ...args: SchedulerEvents[K]): void {
    if (this.#emitter.listenerCount(event) > 0) (this.#emitter.emit as (event: K, ...args: SchedulerEvents[K]) => boolean)(event, ...args);
  }

  /** An unexpected internal error: the `error` event, or a process warning when nobody listens. */
  readonly reportError = (error: Error): void => {
    if (this.#emitter.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(error);
  };

  /** Wraps a user listener so that its exceptions become `error` events instead of breaking apply. */
  #guard<K extends SchedulerEventName>(event: K, listener: Listener<K>, once: boolean): AnyListener {
    let byListener = this.#wrappers.get(event);
    if (byListener === undefined) this.#wrappers.set(event, (byListener = new Map<AnyListener, AnyListener[]>()));
    let wrappers = byListener.get(listener);
    if (wrappers === undefined) byListener.set(listener, (wrappers = []));
    const list = wrappers;
    const wrapper = (...args: SchedulerEvents[K]): void => {
      if (once) {
        const i = list.indexOf(wrapper);
        if (i >= 0) list.splice(i, 1);
      }
      try {
        listener(...args);
      } catch (error) {
        if (event === 'error') return; // an error listener that throws has nowhere left to report to
        this.reportError(error instanceof Error ? error : new Error(String(error)));
      }
    };
    list.push(wrapper);
    return wrapper;
  }
}
