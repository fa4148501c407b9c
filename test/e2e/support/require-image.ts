import { getContainerRuntimeClient, ImageName } from 'testcontainers';

const HOW_TO_FIX =
  'Run `bash deploy/provision-docker.sh` (Docker engine + base image) and `npm run images` first.';

/**
 * Fails the suite, with the fix in the message, when Docker does not answer or a Flotilla image
 * was not built: nothing can be pulled here, so a missing image must never turn into a pull attempt.
 */
export async function requireLocalImage(image: string): Promise<void> {
  let client;
  try {
    client = await getContainerRuntimeClient();
  } catch (err) {
    throw new Error(`No working Docker engine (${(err as Error).message}). ${HOW_TO_FIX}`);
  }
  if (!(await client.image.exists(ImageName.fromString(image)))) {
    throw new Error(`Docker image ${image} is missing. ${HOW_TO_FIX}`);
  }
}
