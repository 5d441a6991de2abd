/**
 * The request schema of an environment type, shared by the management API's objects that filter
 * or name environments (notifications, build hooks), so both accept and explain the same values.
 */
import { z } from "zod";
import { ENVIRONMENT_TYPES, type EnvironmentType } from "../events/deploy-event.js";

/** Environment types, upper-cased (`production` is accepted for `PRODUCTION`). */
export const environmentTypeSchema = z
  .string()
  .transform((value, ctx): EnvironmentType => {
    const type = ENVIRONMENT_TYPES.find((known) => known === value.toUpperCase());
    if (type === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `unknown environment type ${JSON.stringify(value)} (known: ${ENVIRONMENT_TYPES.join(", ")})`,
      });
      return z.NEVER;
    }
    return type;
  })
  .meta({ enum: [...ENVIRONMENT_TYPES] });
