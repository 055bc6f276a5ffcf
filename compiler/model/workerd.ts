/**
 * A typed mirror of the part of workerd's config schema (workerd.capnp) that
 * the compiler emits. Type and field names follow the schema, with `_` for
 * nesting (`Worker_Module` is `Worker.Module`), so each maps to one place in
 * workerd.capnp.
 */

/** `embed "path"`: the file's content, read by workerd relative to the config file. */
export class Embed {
  constructor(readonly path: string) {}
}

export interface Config {
  services: Service[];
  sockets: Socket[];
}

export interface Socket {
  name: string;
  /** `HOST:PORT`; absent when the socket arrives through `--socket-fd`. */
  address?: string;
  http?: HttpOptions;
  /** Name of the service that receives the socket's requests. */
  service: string;
}

// Options are added here as the compiler starts emitting them.
export type HttpOptions = Record<string, never>;

/** A service: exactly one of the kinds below, enforced by the type. */
export type Service =
  | { name: string; worker: Worker }
  | { name: string; external: ExternalServer }
  | { name: string; network: Network };

export interface Worker {
  modules: Worker_Module[];
  compatibilityDate: string;
  bindings?: Worker_Binding[];
  /** Service that plain `fetch()` calls go through. */
  globalOutbound?: string;
}

export interface Worker_Module {
  name: string;
  esModule: Embed | string;
}

/** A binding of the kind `service`: the worker calls the named service as `env[name].fetch()`. */
export interface Worker_Binding {
  name: string;
  service: string;
}

/** An `ExternalServer`: one of `http` and `https`, as in the schema's union. */
export type ExternalServer =
  | {
      /** `HOST:PORT`, IPv6 in brackets. */
      address: string;
      http: HttpOptions;
    }
  | {
      address: string;
      https: ExternalServer_Https;
    };

/** The `https` group of `ExternalServer`. */
export interface ExternalServer_Https {
  options?: HttpOptions;
  tlsOptions?: TlsOptions;
  /** Host name the certificate must be valid for, also sent as SNI; without it, the address's host. */
  certificateHost?: string;
}

export interface Network {
  allow: string[];
  deny: string[];
  tlsOptions?: TlsOptions;
}

/** The client side of `TlsOptions`; fields the compiler does not emit are left out. */
export interface TlsOptions {
  trustBrowserCas?: boolean;
  /** CA certificates in PEM format, each one certificate. */
  trustedCertificates?: (Embed | string)[];
}
