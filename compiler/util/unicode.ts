/** Unicode checks shared by the validator and the output encoders. */

/**
 * Returns whether `text` contains a Unicode noncharacter (U+FDD0 to U+FDEF, or
 * a code point ending in FFFE or FFFF). systemd 252 rejects such text in a
 * unit file as "not UTF-8 clean" and ignores the assignment.
 */
export function containsNoncharacter(text: string): boolean {
  for (const character of text) {
    const codePoint = character.codePointAt(0)!;
    if ((codePoint >= 0xfdd0 && codePoint <= 0xfdef) || (codePoint & 0xfffe) === 0xfffe) {
      return true;
    }
  }
  return false;
}
