/**
 * The gateway with billable-operation metering (src/metering.ts), for the
 * cost part of `npm run bench`. It is src/index.ts with its handlers and its
 * DeliveryQueue class wrapped; `wrangler dev bench/metered/worker.ts` runs it
 * with the bindings of the project's wrangler.toml. Metering counts only
 * with `--var METERING:on`.
 */
import gateway, { DeliveryQueue as GatewayDeliveryQueue } from "../../src/index";
import { meteredDurableObject, meteredWorker } from "../../src/metering";

export const DeliveryQueue = meteredDurableObject(GatewayDeliveryQueue);

export default meteredWorker(gateway);
