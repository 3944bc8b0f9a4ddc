/** Seconds of clock skew tolerated between the issuer, its clients and the gateway. */
export const CLOCK_TOLERANCE = 15;
