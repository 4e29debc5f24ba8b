/*
 * cli_run.c: output helpers for the run commands: the progress view
 * (task started/finished lines), run summaries, --json and JUnit XML.
 */
#include "cli/cli_run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

const char *jc_cli_dur(int64_t ms, char *buf, size_t n)
{
    if (ms < 0)
        ms = 0;
    if (ms < 1000)
        snprintf(buf, n, "%lldms", (long long)ms);
    else if (ms < 60000)
        snprintf(buf, n, "%.2fs", (double)ms / 1000.0);
    else
        snprintf(buf, n, "%lldm%02llds", (long long)(ms / 60000),
                 (long long)((ms / 1000) % 60));
    return buf;
}

void jc_cli_progress_cb(void *arg, const struct jc_task_event *ev)
{
    struct jc_cli_progress *p = arg;
    char d[32];

    if (!p || p->quiet)
        return;
    if (p->brief && (!strcmp(ev->life_cycle_state, "RUNNING") ||
                     ev->result == JC_RESULT_SUCCESS ||
                     ev->result == JC_RESULT_EXCLUDED ||
                     ev->result == JC_RESULT_DISABLED))
        return;
    if (!strcmp(ev->life_cycle_state, "RUNNING")) {
        if (ev->attempt)
            fprintf(stderr, "  start   %s (attempt %d)\n", ev->task_key,
                    ev->attempt);
        else
            fprintf(stderr, "  start   %s\n", ev->task_key);
    } else if (!strcmp(ev->life_cycle_state, "WAITING_FOR_RETRY")) {
        fprintf(stderr, "  retry   %s: waiting (attempt %d)\n", ev->task_key,
                ev->attempt);
    } else {
        bool ran = ev->result == JC_RESULT_SUCCESS ||
                   ev->result == JC_RESULT_FAILED ||
                   ev->result == JC_RESULT_TIMEDOUT ||
                   (ev->result == JC_RESULT_CANCELED && ev->duration_ms > 0);
        fprintf(stderr, "  %-7s %s  %s%s%s\n",
                ev->result == JC_RESULT_SUCCESS ? "ok" : "done", ev->task_key,
                jc_result_name(ev->result), ran ? "  " : "",
                ran ? jc_cli_dur(ev->duration_ms, d, sizeof(d)) : "");
        if (ev->message && *ev->message && ev->result != JC_RESULT_SUCCESS)
            fprintf(stderr, "          %s\n", ev->message);
    }
    fflush(stderr);
}

int64_t jc_cli_parse_id(const char *s)
{
    char *end;
    long long v;

    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v <= 0)
        return -1;
    return v;
}

int jc_cli_result_exit(enum jc_result r)
{
    return r == JC_RESULT_SUCCESS ? 0 : 1;
}

struct jc_store *jc_cli_open_store(void)
{
    struct jc_store *s;

    if (jc_store_open(&s, NULL)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        return NULL;
    }
    return s;
}

static void xml_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

/* Index of the latest attempt of each task_key (rows ordered by id). */
static size_t latest(struct jc_task_run_row *t, size_t n, size_t *idx)
{
    size_t m = 0, i, k;

    for (i = 0; i < n; i++) {
        for (k = 0; k < m; k++) {
            if (!strcmp(t[idx[k]].task_key, t[i].task_key)) {
                idx[k] = i;
                break;
            }
        }
        if (k == m)
            idx[m++] = i;
    }
    return m;
}

int jc_cli_write_junit(struct jc_store *s, int64_t run_id, const char *path)
{
    struct jc_run_row run;
    struct jc_task_run_row *t;
    size_t n, m, i, *idx, fails = 0, skips = 0;
    FILE *f;
    int rc;

    if ((rc = jc_store_run_get(s, run_id, &run)))
        return rc;
    if ((rc = jc_store_task_run_list(s, run_id, &t, &n))) {
        jc_run_row_release(&run);
        return rc;
    }
    idx = ju_xcalloc(n + 1, sizeof(*idx));
    m = latest(t, n, idx);
    for (i = 0; i < m; i++) {
        const char *r = t[idx[i]].result_state ? t[idx[i]].result_state : "";
        if (!strcmp(r, "SUCCESS"))
            continue;
        if (!strcmp(r, "EXCLUDED") || !strcmp(r, "DISABLED"))
            skips++;
        else
            fails++;
    }
    f = fopen(path, "w");
    if (!f) {
        rc = jc_err_set(JC_EIO, "cannot write '%s': %s", path, strerror(errno));
        goto out;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites>\n<testsuite name=\"");
    xml_escape(f, run.run_name);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
               "time=\"%.3f\" id=\"%lld\">\n", m, fails, skips,
            (double)(run.end_ms - run.start_ms) / 1000.0, (long long)run_id);
    for (i = 0; i < m; i++) {
        struct jc_task_run_row *x = &t[idx[i]];
        const char *r = x->result_state ? x->result_state : "";

        fprintf(f, "  <testcase classname=\"");
        xml_escape(f, run.run_name);
        fprintf(f, "\" name=\"");
        xml_escape(f, x->task_key);
        fprintf(f, "\" time=\"%.3f\">", (double)(x->end_ms - x->start_ms) / 1000.0);
        if (!strcmp(r, "SUCCESS")) {
            fprintf(f, "</testcase>\n");
            continue;
        }
        if (!strcmp(r, "EXCLUDED") || !strcmp(r, "DISABLED")) {
            fprintf(f, "<skipped message=\"%s\"/></testcase>\n", r);
            continue;
        }
        fprintf(f, "<failure type=\"%s\" message=\"", r);
        xml_escape(f, x->state_message);
        fprintf(f, "\">attempt %d, log ", x->attempt_number);
        xml_escape(f, x->log_path ? x->log_path : "-");
        fprintf(f, "</failure></testcase>\n");
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    if (fclose(f))
        rc = jc_err_set(JC_EIO, "cannot write '%s': %s", path, strerror(errno));
out:
    free(idx);
    jc_task_run_rows_free(t, n);
    jc_run_row_release(&run);
    return rc;
}

void jc_cli_print_run(struct jc_store *s, int64_t run_id, FILE *out)
{
    struct jc_run_row run;
    struct jc_task_run_row *t;
    size_t n, i;
    char d[32];
    int64_t end;

    if (jc_store_run_get(s, run_id, &run)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        return;
    }
    end = run.end_ms ? run.end_ms : jc_now_ms();
    fprintf(out, "run %lld  %s  %s %s  %s\n", (long long)run.run_id,
            run.run_name ? run.run_name : "", run.life_cycle_state,
            run.result_state ? run.result_state : "",
            jc_cli_dur(end - run.start_ms, d, sizeof(d)));
    if (run.state_message && *run.state_message)
        fprintf(out, "  %s\n", run.state_message);
    if (!jc_store_task_run_list(s, run_id, &t, &n)) {
        fprintf(out, "  %-28s %-7s %-10s %-18s %9s  %s\n", "TASK", "ATTEMPT",
                "STATE", "RESULT", "DURATION", "MESSAGE");
        for (i = 0; i < n; i++) {
            int64_t te = t[i].end_ms ? t[i].end_ms : jc_now_ms();
            const char *m = t[i].state_message ? t[i].state_message : "";
            fprintf(out, "  %-28s %-7d %-10s %-18s %9s%s%s\n", t[i].task_key,
                    t[i].attempt_number, t[i].life_cycle_state,
                    t[i].result_state ? t[i].result_state : "-",
                    jc_cli_dur(te - t[i].start_ms, d, sizeof(d)),
                    *m ? "  " : "", m);
        }
        jc_task_run_rows_free(t, n);
    }
    jc_run_row_release(&run);
}

int jc_cli_print_run_json(struct jc_store *s, int64_t run_id)
{
    json_t *j = jc_run_to_json(s, run_id, true);

    if (!j) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        return 1;
    }
    json_dumpf(j, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(j);
    return 0;
}
