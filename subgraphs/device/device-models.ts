/** What a monitor model accepts; the platform refuses a command the device would refuse. */
export interface DeviceModel {
  /** CT coils (amperes) the model's inputs are calibrated for. */
  ctRatings: readonly number[];
}

/** Wattwatchers-class monitors take these coils (Auditor 6M and similar). */
const STANDARD: DeviceModel = { ctRatings: [60, 120, 200, 400, 600] };

const models: Record<string, DeviceModel> = {
  'WW-6M': STANDARD,
  'WW-3W': { ctRatings: [60, 120, 200] },
};

/** A model not listed here (or a device registered before models were recorded) is standard. */
export const modelOf = (name: string | null): DeviceModel => (name ? (models[name] ?? STANDARD) : STANDARD);
