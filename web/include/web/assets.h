/*
 * assets.h: the status page's static files, embedded at build time from
 * web/ by cmake/Embed.cmake. Lookup by path ("/app.js"); "/" is index.html.
 */
#ifndef JOBCTL_WEB_ASSETS_H
#define JOBCTL_WEB_ASSETS_H

#include <stddef.h>

struct jc_web_asset {
    const char *path;         /* "/index.html" */
    const char *content_type; /* "text/html; charset=utf-8" */
    const unsigned char *data;
    size_t len;
};

/* NULL when no asset has that path. */
const struct jc_web_asset *jc_web_asset_find(const char *path);

#endif
