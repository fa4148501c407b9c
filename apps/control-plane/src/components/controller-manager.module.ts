import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Registry } from 'prom-client';
import { type ApiServer, CONTROLLER_MANAGER_USER } from '@flotilla/apiserver';
import { CONTROLLER_FACTORIES, ControllerManager } from '@flotilla/controllers';
import { JsonLogger } from '@flotilla/observability';
import { API_SERVER } from '../apiserver/apiserver.tokens';
import { CONTROL_PLANE_CONFIG } from '../config/config.module';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { inProcessTransport } from './in-process-transport';

/** The controller manager, when --disable-controller-manager is not given. */
export const CONTROLLER_MANAGER = Symbol('CONTROLLER_MANAGER');

/**
 * Starts contending for the kube-controller-manager Lease once the master is up; on shutdown,
 * while Raft still runs, stops the controllers and releases the Lease so another master takes
 * over at once.
 */
@Injectable()
class ControllerManagerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(CONTROLLER_MANAGER) private readonly manager: ControllerManager | null) {}

  onApplicationBootstrap(): void {
    this.manager?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.manager?.stop();
  }
}

/** kube-controller-manager inside this master: its controllers act only while it holds the Lease. */
@Module({})
export class ControllerManagerModule {
  static forRoot(): DynamicModule {
    return {
      module: ControllerManagerModule,
      providers: [
        {
          provide: CONTROLLER_MANAGER,
          inject: [API_SERVER, CONTROL_PLANE_CONFIG, JsonLogger, Registry],
          useFactory: (
            server: ApiServer,
            config: ControlPlaneConfig,
            logger: JsonLogger,
            metrics: Registry,
          ) => {
            const settings = config.controllerManager;
            if (!settings?.enabled) return null;
            return new ControllerManager({
              transport: inProcessTransport(server, CONTROLLER_MANAGER_USER),
              masterName: config.name,
              factories: CONTROLLER_FACTORIES,
              controllers: settings.controllers,
              flags: settings.flags,
              log: logger.child('controller-manager'),
              metrics,
            });
          },
        },
        ControllerManagerLifecycle,
      ],
    };
  }
}
