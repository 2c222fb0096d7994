import { QrCode } from '../qr.tsx';

/**
 * Text the user passes to another wallet (an invite, a join code, a vault descriptor): read-only
 * to copy, and as a QR code to scan. `qrText` when the QR should carry another form of the text
 * (an invite in capitals fits QR's denser alphanumeric mode).
 */
export function SharedCode({
  id,
  label,
  text,
  rows,
  qrLabel = label,
  qrText = text,
}: {
  /** The textarea's id, which tests and screenshots use. */
  id: string;
  label: string;
  text: string;
  rows: number;
  qrLabel?: string;
  qrText?: string;
}) {
  return (
    <>
      <textarea class="mono small" id={id} aria-label={label} readOnly rows={rows} value={text} />
      <QrCode text={qrText} label={qrLabel} />
    </>
  );
}
