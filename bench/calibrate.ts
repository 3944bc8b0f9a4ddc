import crypto from 'node:crypto';

const PAYLOAD =
  '{"v":1,"deviceId":"D100000000001","bootSeq":3,"seq":918273,"timestamp":1764115200,"duration":5,"frequency":50.01,' +
  '"eReal":[1150,2,38,-560,37,-14],"eReactive":[-857,-19,-364,61,45,-4],"vRMS":[244.9,244.8,244.8,244.9,244.8,244.8],"iRMS":[1.259,0.028,0.31,2.1,0.15,0.06]}';

/**
 * How fast this machine is right now, for comparing benchmark runs made on different VMs
 * (or on one VM whose speed moves): CPU milliseconds for a fixed piece of the platform's
 * kind of work (parse a reading, verify its MAC, print JSON), the best of five rounds.
 * Smaller is faster; the same code on two machines scales roughly with it.
 */
export function calibrationMs(): number {
  const key = crypto.randomBytes(32);
  const bytes = Buffer.from(PAYLOAD);
  let best = Infinity;
  let sink = 0;
  for (let round = 0; round < 5; round += 1) {
    const started = process.cpuUsage();
    for (let i = 0; i < 10_000; i += 1) {
      const reading = JSON.parse(PAYLOAD) as { eReal: number[]; vRMS: number[]; iRMS: number[] };
      sink += crypto.createHmac('sha256', key).update(bytes).digest()[0]!;
      sink += JSON.stringify({ watts: reading.vRMS.map((v, c) => v * reading.iRMS[c]!), total: reading.eReal.reduce((a, b) => a + b, 0) }).length;
    }
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  if (sink === 0.5) console.error(sink); // keeps the work from being optimised away
  return Math.round(best * 10) / 10;
}
