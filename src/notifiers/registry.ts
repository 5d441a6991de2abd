import type { Notifier } from "./notifier.js";

/**
 * The notifier registry: which module serves each target kind. Built once at start-up from the
 * notifiers' factories, so each gets its clients (HTTP, SMTP) as arguments.
 */
export class NotifierRegistry {
  private readonly notifiers = new Map<string, Notifier<unknown>>();

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

  get(kind: string): Notifier<unknown> | undefined {
    return this.notifiers.get(kind);
  }

  kinds(): string[] {
    return [...this.notifiers.keys()];
  }
}
