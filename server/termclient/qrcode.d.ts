// The one part of the `qrcode` package the terminal client uses (the same as client/src/types/qrcode.d.ts).

declare module 'qrcode' {
  interface BitMatrix {
    size: number;
    get(row: number, col: number): number;
  }
  interface QRCode {
    modules: BitMatrix;
  }
  export function create(text: string, options?: { errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' }): QRCode;
}
