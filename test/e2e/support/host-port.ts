import { getContainerRuntimeClient, StartedTestContainer } from 'testcontainers';

/**
 * The IPv4 host port a container port is published on. Docker 20.10 may give the IPv4 and IPv6
 * bindings different host ports, and testcontainers' getMappedPort() can return the IPv6 one,
 * which refuses connections on an IPv4 host address.
 */
export async function ipv4HostPort(container: StartedTestContainer, port: number): Promise<number> {
  const runtime = await getContainerRuntimeClient();
  const info = await runtime.container.dockerode.getContainer(container.getId()).inspect();
  const bindings = info.NetworkSettings.Ports[`${port}/tcp`] ?? [];
  const binding = bindings.find((b) => !b.HostIp.includes(':')) ?? bindings[0];
  if (!binding) throw new Error(`port ${port} of ${container.getName()} is not published`);
  return Number(binding.HostPort);
}
