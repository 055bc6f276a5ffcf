/**
 * Reads the trusted CA certificates of https upstreams at build time. An
 * entry is PEM text or the path of a PEM file. Both are split into one PEM
 * block per certificate, because each entry of workerd's
 * `TlsOptions.trustedCertificates` is one certificate.
 */
import { X509Certificate } from "node:crypto";

import type { WorkerdComposeConfig } from "../config/types.js";
import { formatPath, type Diagnostic } from "../diagnostics.js";

/** Certificate entries as written in the config → their PEM blocks. */
export type CertificateTexts = Map<string, string[]>;

/** Reads a file named in the config, relative to the config file, as text or bytes. */
export type ReadConfigFile = (path: string) => string | Uint8Array;

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/** Returns whether a trusted certificate entry is PEM text rather than a file path. */
export function isPemText(entry: string): boolean {
  return entry.trimStart().startsWith("-----BEGIN ");
}

/**
 * Reads and checks every `upstreams[].https.trustedCertificates` entry.
 * Without `readFile`, entries that name a file are reported as unreadable.
 */
export function loadCertificates(
  config: WorkerdComposeConfig,
  readFile: ReadConfigFile | undefined,
): { certificates: CertificateTexts; diagnostics: Diagnostic[] } {
  const certificates: CertificateTexts = new Map();
  const diagnostics: Diagnostic[] = [];

  config.upstreams.forEach((upstream, upstreamIndex) => {
    (upstream.https?.trustedCertificates ?? []).forEach((entry, index) => {
      const path = formatPath(["upstreams", upstreamIndex, "https", "trustedCertificates", index]);
      if (certificates.has(entry)) {
        return;
      }
      const text = isPemText(entry) ? entry : readEntry(entry, readFile, path, diagnostics);
      if (text === undefined) {
        return;
      }
      const blocks = splitCertificates(text, isPemText(entry) ? "The PEM text" : `File "${entry}"`);
      if (typeof blocks === "string") {
        diagnostics.push({
          severity: "error",
          code: "invalid-certificate",
          path,
          message: blocks,
          received: entry,
          expected: "PEM text with one or more CERTIFICATE blocks",
        });
        return;
      }
      certificates.set(entry, blocks);
    });
  });
  return { certificates, diagnostics };
}

function readEntry(
  file: string,
  readFile: ReadConfigFile | undefined,
  path: string,
  diagnostics: Diagnostic[],
): string | undefined {
  let problem: string;
  if (readFile === undefined) {
    problem = "compile() was called without readFile, so it cannot read certificate files; pass the PEM text instead.";
  } else {
    try {
      const contents = readFile(file);
      return typeof contents === "string" ? contents : new TextDecoder().decode(contents);
    } catch (error) {
      problem = (error as Error).message;
    }
  }
  diagnostics.push({
    severity: "error",
    code: "unreadable-file",
    expected: "a readable PEM file, relative to the config file",
    path,
    message: `Cannot read the certificate file "${file}": ${problem}`,
    received: file,
    hint: "Paths are relative to the config file.",
  });
  return undefined;
}

/**
 * Splits PEM text into certificate blocks, each ending in a newline, and
 * checks that each parses as an X.509 certificate. Returns a sentence
 * describing the problem when the text has no certificate or another kind of
 * block, such as a private key.
 */
export function splitCertificates(text: string, subject: string): string[] | string {
  const blocks: string[] = [];
  for (const match of text.matchAll(pemBlock)) {
    const label = match[1]!;
    if (label !== "CERTIFICATE") {
      return `${subject} contains a "${label}" block; trusted certificates are CERTIFICATE blocks only, and a private key never belongs here.`;
    }
    try {
      new X509Certificate(match[0]);
    } catch (error) {
      return `${subject} contains a certificate that does not parse: ${(error as Error).message}`;
    }
    blocks.push(`${match[0].replace(/\r\n/g, "\n")}\n`);
  }
  if (blocks.length === 0) {
    return `${subject} contains no PEM certificate (-----BEGIN CERTIFICATE-----).`;
  }
  return blocks;
}
