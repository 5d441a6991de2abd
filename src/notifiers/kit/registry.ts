import type { Notifier } from "./notifier.js";

/**
 * The notifier registry: which module serves each target kind. Built once at start-up from the
 * notifiers' factories, so each gets its clients (HTTP, SMTP) as arguments.
 */
export class NotifierRegistry {
  private readonly notifiers = new Map<string, Notifier<unknown>>();
  private readonly off = new Map<string, string>();

  constructor(notifiers: Notifier<never>[] = []) {
    for (const notifier of notifiers) this.register(notifier);
  }

  register<C>(notifier: Notifier<C>): this {
    if (this.notifiers.has(notifier.kind)) {
      throw new Error(`a notifier for kind "${notifier.kind}" is registered already`);
    }
    this.notifiers.set(notifier.kind, notifier as Notifier<unknown>);
    return this;
  }

  /**
   * Marks a kind as known but off in this deployment (e.g. `email` without `SMTP_URL`), so that a
   * target of that kind is refused at start-up with the reason rather than as an unknown kind.
   */
  markOff(kind: string, reason: string): this {
    this.off.set(kind, reason);
    return this;
  }

  /** Why a known kind is off, when it is. */
  offReason(kind: string): string | undefined {
    return this.notifiers.has(kind) ? undefined : this.off.get(kind);
  }

  get(kind: string): Notifier<unknown> | undefined {
    return this.notifiers.get(kind);
  }

  kinds(): string[] {
    return [...this.notifiers.keys()];
  }
}
