/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Why `key` is not a usable object key of the artifacts bucket, or undefined when it is. Keys are relative
 * paths inside the bucket: not empty, at most 1,024 UTF-8 bytes, no leading `/`, no `s3://` URL, no `.` or `..`
 * segment (the local stack keeps objects as files, where `..` would escape its folder), no control characters
 * or backslashes, no empty segment.
 */
export function objectKeyIssue(key: string): string | undefined {
  if (key.length === 0) return 'is empty';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    return `is ${Buffer.byteLength(key)} bytes long; S3 keys are at most ${MAX_KEY_BYTES}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(key))
    return 'is a URL; give the key inside the artifacts bucket (e.g. datasets/churn/train.csv)';
  if (key.startsWith('/')) return 'starts with "/"; keys are relative to the bucket';
  if (key.startsWith('@'))
    return 'starts with "@", which marks references (only monitoring.reference takes @champion)';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return 'contains a control character or a backslash';
  const segments = key.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..'))
    return 'contains a "." or ".." segment; keys cannot point outside the bucket';
  if (segments.slice(0, -1).some((segment) => segment === '')) return 'contains an empty segment ("//")';
  if (key.endsWith('/')) return 'ends with "/"; name an object, not a folder';
  return undefined;
}
