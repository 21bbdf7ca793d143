/**
 * Everything federated the Worker needs, as one lazily imported chunk (worker-uploads.ts
 * imports it): only a page whose shop configured a server downloads the client, its wire
 * format and the device's update task.
 */
export { checkFederatedConfig, FederatedClient } from '../federated/client';
export { DEVICE_UPDATE, drawSupportSize, splitForUpdate } from '../federated/device-task';
export { hitsUnder, reportTask } from '../federated/quality';
