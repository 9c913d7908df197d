// The part of zmodem.js 0.1.10 (CommonJS, untyped) that client/src/zmodemTransfer.ts uses.

declare module 'zmodem.js/src/zmodem.js' {
  export type Octets = number[];

  export interface FileDetails {
    name: string;
    size?: number;
    mtime?: Date;
  }

  export interface Offer {
    get_details(): FileDetails;
    accept(options?: { on_input?: (payload: Octets) => void }): Promise<unknown>;
    skip(): void;
  }

  export interface Transfer {
    send(chunk: ArrayLike<number>): void;
    end(chunk?: ArrayLike<number>): Promise<void>;
  }

  export interface Session {
    readonly type: 'send' | 'receive';
    on(event: 'offer', listener: (offer: Offer) => void): void;
    on(event: 'session_end', listener: () => void): void;
    start(): Promise<void>;
    send_offer(params: { name: string; size: number; mtime: Date; files_remaining: number; bytes_remaining: number }): Promise<Transfer | undefined>;
    close(): Promise<void>;
    has_ended(): boolean;
    abort(): void;
  }

  export interface Detection {
    confirm(): Session;
    get_session_role(): 'send' | 'receive';
  }

  export class Sentry {
    constructor(options: {
      to_terminal: (octets: Octets) => void;
      sender: (octets: Octets) => void;
      on_detect: (detection: Detection) => void;
      on_retract: () => void;
    });
    consume(input: Octets | ArrayBuffer | Uint8Array): void;
  }

  const Zmodem: { Sentry: typeof Sentry };
  export default Zmodem;
}
