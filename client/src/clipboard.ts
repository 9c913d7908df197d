// Copying links to the clipboard, including on plain-http origins where navigator.clipboard is missing.

/**
 * Tries the async Clipboard API (secure contexts only), then the legacy copy command on a selected read-only
 * input. Returns false when neither worked; the input is then left visible and selected for Ctrl+C.
 */
export async function copyText(text: string, fallbackInput: HTMLInputElement): Promise<boolean> {
  if (window.isSecureContext && navigator.clipboard !== undefined) {
    try {
      await navigator.clipboard.writeText(text);
      fallbackInput.hidden = true;
      return true;
    } catch {
      // Permission denied or document not focused: the selection fallback below still works.
    }
  }
  fallbackInput.value = text;
  fallbackInput.hidden = false;
  fallbackInput.focus();
  fallbackInput.select();
  let copied = false;
  try {
    // Deprecated, but the only programmatic copy outside secure contexts; failure is reported, not thrown.
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  if (copied) fallbackInput.hidden = true;
  return copied;
}
