// Image references as containerd spells them, so names given in pod specs match the runtime's.

/** docker.io/library/busybox:latest for "busybox", as containerd names images. */
export function normaliseImageName(image: string): string {
  let name = image;
  const firstSlash = name.indexOf('/');
  const first = firstSlash < 0 ? '' : name.slice(0, firstSlash);
  if (firstSlash < 0 || !(first.includes('.') || first.includes(':') || first === 'localhost')) {
    name = `docker.io/${firstSlash < 0 ? 'library/' : ''}${name}`;
  }
  const lastSlash = name.lastIndexOf('/');
  if (!name.includes('@') && !name.slice(lastSlash).includes(':')) name += ':latest';
  return name;
}
