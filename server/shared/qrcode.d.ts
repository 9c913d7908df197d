// The one part of the `qrcode` package ttyroom uses (the browser's share dialog and the terminal's share), typed here: @types/qrcode pulls Node's types into the browser build.

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
