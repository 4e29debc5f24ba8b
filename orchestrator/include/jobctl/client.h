/*
 * client.h: the CLI's REST client to a running `jobctl serve` (libcurl,
 * blocking: the CLI has no event loop). JSON in and out with jansson;
 * the bearer token comes from JOBCTL_TOKEN and never appears in errors.
 */
#ifndef JOBCTL_JOBCTL_CLIENT_H
#define JOBCTL_JOBCTL_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

struct jc_client;

/* base_url like "http://127.0.0.1:8080" (no trailing slash needed). */
int jc_client_new(struct jc_client **out, const char *base_url,
                  const char *token);
void jc_client_free(struct jc_client *c);
const char *jc_client_base_url(const struct jc_client *c);

/* True when GET /healthz answers 200 within timeout_ms. */
bool jc_client_ping(struct jc_client *c, long timeout_ms);

/*
 * One request. path starts with '/', query already encoded. body (may be
 * NULL) is sent as JSON. *status gets the HTTP status; *out the parsed
 * JSON response (NULL when the body is not JSON). Returns 0 when the
 * request completed (any status), JC_EIO on transport errors.
 */
int jc_client_call(struct jc_client *c, const char *method, const char *path,
                   json_t *body, long *status, json_t **out);

/*
 * Like jc_client_call but any status other than 200 becomes an error
 * whose message carries the API's error_code and message. *out on success.
 */
int jc_client_api(struct jc_client *c, const char *method, const char *path,
                  json_t *body, json_t **out);

/* Raw GET returning the body bytes (for logs); *out malloc'd. */
int jc_client_get_raw(struct jc_client *c, const char *path, long *status,
                      char **out, size_t *len);

#endif
