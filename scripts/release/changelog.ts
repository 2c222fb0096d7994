/** Release notes come from CHANGELOG.md: the section headed `## [version]`, without its heading. */

export class MissingReleaseNotesError extends Error {
  override name = 'MissingReleaseNotesError';
}

export function releaseNotes(changelog: string, version: string): string {
  const lines = changelog.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`## [${version}]`));
  if (start < 0)
    throw new MissingReleaseNotesError(`CHANGELOG.md has no "## [${version}]" section`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('## '));
  const body = (end < 0 ? rest : rest.slice(0, end)).join('\n').trim();
  if (!body)
    throw new MissingReleaseNotesError(`CHANGELOG.md's "## [${version}]" section is empty`);
  const heading = lines[start]!.slice(3).replace(`[${version}]`, version);
  return `# Petal ${heading}\n\n${body}\n`;
}
