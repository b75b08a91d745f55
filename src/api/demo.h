/* POST /demo/gtg1002: a simulated ten-step attack chain (the GTG-1002
 * campaign: recon, credential theft, lateral movement, exfiltration,
 * log wiping) run through the real pipeline in a throwaway session. */
#ifndef PX_API_DEMO_H
#define PX_API_DEMO_H

#include "http/server.h"

void px_demo_route(px_http_worker *hw, h2o_req_t *req);

#endif
