// Name rules of Kubernetes (DNS-1123 subdomain/label, DNS-1035 label) with the exact wording of its messages.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

export const DNS1123_LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
export const DNS1123_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
export const DNS1035_LABEL_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
export const CONFIG_KEY_MESSAGE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/**
 * 'path-segment': any name that can stand as one URL path segment (RBAC roles and bindings are
 * named `system:...`), as Kubernetes' ValidatePathSegmentName.
 */
export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label' | 'path-segment';

function tooLong(max: number): string {
  return `must be no more than ${max} characters`;
}

/** Every problem with a name under a rule, each one becomes its own field error (as in Kubernetes). */
export function nameProblems(name: string, rule: NameRule): string[] {
  const out: string[] = [];
  switch (rule) {
    case 'dns1123-subdomain':
      if (name.length > 253) out.push(tooLong(253));
      if (!DNS1123_SUBDOMAIN.test(name)) out.push(DNS1123_SUBDOMAIN_MESSAGE);
      break;
    case 'dns1123-label':
      if (name.length > 63) out.push(tooLong(63));
      if (!DNS1123_LABEL.test(name)) out.push(DNS1123_LABEL_MESSAGE);
      break;
    case 'dns1035-label':
      if (name.length > 63) out.push(tooLong(63));
      if (!DNS1035_LABEL.test(name)) out.push(DNS1035_LABEL_MESSAGE);
      break;
    case 'path-segment':
      if (name === '.' || name === '..') out.push(`may not be '${name}'`);
      for (const c of ['/', '%']) if (name.includes(c)) out.push(`may not contain '${c}'`);
      break;
  }
  return out;
}

export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

export function configKeyProblems(key: string): string[] {
  const out: string[] = [];
  if (key.length > 253) out.push(tooLong(253));
  if (!CONFIG_KEY.test(key)) out.push(CONFIG_KEY_MESSAGE);
  return out;
}
