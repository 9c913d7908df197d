// Readiness: whether this server should be sent new rooms and members (GET /readyz), from named inputs that each
// say why not. Draining after a shutdown began is the first; the Redis link of the scale-out is meant to be another.

export class Readiness {
  private readonly inputs: Array<() => string | undefined> = [];
  private readonly degradations: Array<() => string | undefined> = [];

  /** An input: returns the reason this server is not ready (a short fixed phrase, never a secret), or undefined. */
  add(input: () => string | undefined): void {
    this.inputs.push(input);
  }

  /**
   * An input that is reported but keeps the server ready: Redis down under scale-out. The node still serves its
   * own rooms and creates new ones; taking every node out of the balancer because their shared Redis went would
   * turn a degraded service into none.
   */
  addDegraded(input: () => string | undefined): void {
    this.degradations.push(input);
  }

  /** Ready when no input has a reason; the reasons otherwise, in the order the inputs were added; then what is degraded. */
  state(): { ready: boolean; reasons: string[]; degraded?: string[] } {
    const reasons = this.inputs.map((input) => input()).filter((reason): reason is string => reason !== undefined);
    const degraded = this.degradations.map((input) => input()).filter((reason): reason is string => reason !== undefined);
    return degraded.length > 0 ? { ready: reasons.length === 0, reasons, degraded } : { ready: reasons.length === 0, reasons };
  }
}
