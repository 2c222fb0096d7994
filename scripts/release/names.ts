/** The files `npm run release` writes into release/, by version. */
export function releaseFileNames(version: string) {
  return {
    chrome: `petal-${version}-chrome.zip`,
    firefox: `petal-${version}-firefox.xpi`,
    /** npm pack names the tarball after the package (scripts/release/npm-package.ts). */
    npm: `petal-node-${version}.tgz`,
    notes: 'RELEASE-NOTES.md',
    sums: 'SHA256SUMS',
  } as const;
}
