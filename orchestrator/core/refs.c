/*
 * refs.c: dynamic value references ({{job.run_id}}, {{tasks.a.values.b}},
 * ...) expanded at task start (jobs-api.md 5.2). Malformed references and
 * unknown namespaces stay literal; an unknown name in a known namespace
 * is an error. Also condition_task evaluation and date arguments.
 */
#include "core/run_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

#define MAX_SEGS 16

int jc_refs_has(const char *s)
{
    return s && strstr(s, "{{") != NULL;
}

/* Split "a.b.`c.d`" into segments; 0 or -1 when malformed. */
static int split_ref(const char *p, size_t len, char **seg, size_t *nseg)
{
    struct ju_buf cur = JU_BUF_INIT;
    size_t i = 0;

    *nseg = 0;
    while (i <= len) {
        if (i == len || p[i] == '.') {
            if (!cur.len || *nseg == MAX_SEGS)
                goto bad;
            seg[(*nseg)++] = ju_buf_detach(&cur, NULL);
            i++;
            if (i > len)
                break;
            continue;
        }
        if (p[i] == '`') {
            const char *end = memchr(p + i + 1, '`', len - i - 1);
            if (!end || end == p + i + 1)
                goto bad;
            ju_buf_add(&cur, p + i + 1, (size_t)(end - (p + i + 1)));
            i = (size_t)(end - p) + 1;
            continue;
        }
        if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-')
            goto bad;
        ju_buf_addc(&cur, p[i]);
        i++;
    }
    return 0;
bad:
    ju_buf_release(&cur);
    while (*nseg)
        free(seg[--*nseg]);
    return -1;
}

int jc_refs_expand(const char *in, jc_ref_lookup_cb lookup, void *arg,
                   char **out)
{
    struct ju_buf b = JU_BUF_INIT;
    const char *p = in;

    *out = NULL;
    if (!in)
        return 0;
    while (*p) {
        const char *open = strstr(p, "{{");
        const char *close, *s, *e;
        char *seg[MAX_SEGS];
        size_t nseg = 0, i;
        char *val = NULL;
        int rc;

        if (!open) {
            ju_buf_adds(&b, p);
            break;
        }
        ju_buf_add(&b, p, (size_t)(open - p));
        close = strstr(open + 2, "}}");
        if (!close) {
            ju_buf_adds(&b, open);
            break;
        }
        s = open + 2;
        e = close;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (s == e || split_ref(s, (size_t)(e - s), seg, &nseg)) {
            /* Malformed: keep "{{" literally and go on after it. */
            ju_buf_add(&b, open, 2);
            p = open + 2;
            continue;
        }
        rc = lookup(arg, seg, nseg, &val);
        for (i = 0; i < nseg; i++)
            free(seg[i]);
        if (rc < 0) {
            ju_buf_release(&b);
            return rc;
        }
        if (rc == 0) {
            ju_buf_adds(&b, val ? val : "");
            free(val);
        } else {
            ju_buf_add(&b, open, (size_t)(close + 2 - open));
        }
        p = close + 2;
    }
    *out = ju_buf_detach(&b, NULL);
    return 0;
}

char *jc_param_env_name(const char *name)
{
    size_t n = strlen(name), i;
    char *s = ju_xmalloc(n + 14);

    memcpy(s, "JOBCTL_PARAM_", 13);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        s[13 + i] = isalnum(c) ? (char)toupper(c) : '_';
    }
    s[13 + n] = '\0';
    return s;
}

char *jc_time_arg(int64_t ms, const char *arg)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    int wd;

    gmtime_r(&t, &tm);
    wd = tm.tm_wday == 0 ? 7 : tm.tm_wday;
    if (!strcmp(arg, "iso_date"))
        return ju_xasprintf("%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                            tm.tm_mday);
    if (!strcmp(arg, "iso_datetime"))
        return ju_xasprintf("%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                            tm.tm_sec);
    if (!strcmp(arg, "year"))
        return ju_xasprintf("%04d", tm.tm_year + 1900);
    if (!strcmp(arg, "month"))
        return ju_xasprintf("%d", tm.tm_mon + 1);
    if (!strcmp(arg, "day"))
        return ju_xasprintf("%d", tm.tm_mday);
    if (!strcmp(arg, "hour"))
        return ju_xasprintf("%d", tm.tm_hour);
    if (!strcmp(arg, "minute"))
        return ju_xasprintf("%d", tm.tm_min);
    if (!strcmp(arg, "second"))
        return ju_xasprintf("%d", tm.tm_sec);
    if (!strcmp(arg, "timestamp_ms"))
        return ju_xasprintf("%lld", (long long)ms);
    if (!strcmp(arg, "iso_weekday"))
        return ju_xasprintf("%d", wd);
    if (!strcmp(arg, "is_weekday"))
        return ju_xstrdup(wd <= 5 ? "true" : "false");
    return NULL;
}

static int parse_num(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    if (end == s || errno)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    return *end ? -1 : 0;
}

int jc_condition_eval(const char *op, const char *left, const char *right,
                      const char **outcome)
{
    double l, r;
    int ok;

    if (!op || !left || !right)
        return jc_err_set(JC_EINVAL, "condition_task needs op, left and right");
    if (!strcmp(op, "EQUAL_TO") || !strcmp(op, "NOT_EQUAL")) {
        ok = !strcmp(left, right);
        if (op[0] == 'N')
            ok = !ok;
        *outcome = ok ? "true" : "false";
        return 0;
    }
    if (parse_num(left, &l) || parse_num(right, &r))
        return jc_err_set(JC_EINVAL,
                          "condition_task %s needs numbers, got '%s' and '%s'",
                          op, left, right);
    if (!strcmp(op, "GREATER_THAN"))
        ok = l > r;
    else if (!strcmp(op, "GREATER_THAN_OR_EQUAL"))
        ok = l >= r;
    else if (!strcmp(op, "LESS_THAN"))
        ok = l < r;
    else if (!strcmp(op, "LESS_THAN_OR_EQUAL"))
        ok = l <= r;
    else
        return jc_err_set(JC_EINVAL, "unknown condition op '%s'", op);
    *outcome = ok ? "true" : "false";
    return 0;
}
