// Readiness: whether this server should be sent new rooms and members (GET /readyz), from named inputs that each
// say why not. Draining after a shutdown began is the first; the Redis link of the scale-out is meant to be another.

export class Readiness {
  private readonly inputs: Array<() => string | undefined> = [];

  /** An input: returns the reason this server is not ready (a short fixed phrase, never a secret), or undefined. */
  add(input: () => string | undefined): void {
    this.inputs.push(input);
  }

  /** Ready when no input has a reason; the reasons otherwise, in the order the inputs were added. */
  state(): { ready: boolean; reasons: string[] } {
    const reasons = this.inputs.map((input) => input()).filter((reason): reason is string => reason !== undefined);
    return { ready: reasons.length === 0, reasons };
  }
}
