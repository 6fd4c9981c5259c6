/**
 * The registry service in one import: points, meters (with swaps and history), channels, CSV and simulator imports.
 * Every change takes a RegistryContext (store + actor) and is validated, audited and written in one transaction.
 */
export {
  type AddChannelFields,
  type AddChannelInput,
  addChannel,
  disableChannel,
  type ListChannelsInput,
  listChannels,
  type UpdateChannelInput,
  updateChannel,
} from './channels.ts';
export { exportRegistryCsv, readRegistryCsv, registryRows, registryToCsv } from './csv.ts';
export type { ChannelValues, Given, MeterValues, PointValues } from './fields.ts';
export { type ImportCounts, type ImportReport, importDocument, planImport, type RegistryDocument } from './import.ts';
export { importRegistryFile, readRegistryFile } from './import-file.ts';
export { type MeterSelector, requirePoint, resolveMeter } from './lookup.ts';
export {
  type AddMeterInput,
  addMeter,
  getMeter,
  type ListMetersInput,
  listMeters,
  type MeterDetail,
  retireMeter,
  type SwapMeterInput,
  swapMeter,
  updateMeter,
} from './meters.ts';
export {
  type CreatePointInput,
  createPoint,
  getPoint,
  type ListPointsInput,
  listPoints,
  type PointDetail,
  retirePoint,
  updatePoint,
} from './points.ts';
export type { RegistryContext } from './rows.ts';
export { readSimulatorRegistry } from './simulator-import.ts';
