/*
 * spec_validate.c: semantic checks on a loaded job (DESIGN.md section 4,
 * jobs-api.md section 10): task keys, depends_on, cycles, run_if, task
 * types, compute, retries/timeouts, schedule (Quartz cron + time zone).
 * Messages point at the offending node: "file:line:col: ...".
 */
#include "jobctl/spec.h"

#include <stdlib.h>
#include <string.h>

#include "core/spec_int.h"
#include "jobctl/cron.h"
#include "jobctl/dag.h"
#include "jobctl/err.h"
#include "jobctl/tz.h"
#include "util/mem.h"

#define MAX_TASKS 1000

static void loc_of(const struct jc_job *job, const json_t *node,
                   struct jc_src_loc *loc)
{
    jc_spec_loc(job, node, loc);
}

static const json_t *dep_node(const struct jc_task *t, size_t k)
{
    json_t *deps = json_object_get(t->raw, "depends_on");
    size_t i, seen = 0;

    /* deps[] skips malformed entries; find the k-th well-formed one */
    for (i = 0; i < json_array_size(deps); i++) {
        json_t *d = json_array_get(deps, i);

        if (!json_is_string(json_object_get(d, "task_key")))
            continue;
        if (seen++ == k)
            return d;
    }
    return t->raw;
}

static bool param_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static void check_task(const struct jc_job *job, const struct jc_task *t,
                       const json_t *job_clusters, struct jc_diags *diags)
{
    struct jc_src_loc loc;
    json_t *v;

    loc_of(job, t->raw, &loc);
    if (t->type == JC_TASK_NONE) {
        jc_diags_add(diags, &loc,
                     "task '%s': no runnable task type (expected one of "
                     "notebook_task, spark_python_task, python_wheel_task, "
                     "spark_jar_task, sql_task, dbt_task, run_job_task, "
                     "condition_task, for_each_task, pipeline_task, "
                     "command_task)",
                     t->task_key);
    }
    if (t->max_retries < -1) {
        loc_of(job, json_object_get(t->raw, "max_retries"), &loc);
        jc_diags_add(diags, &loc,
                     "task '%s': max_retries must be -1 (forever) or more, "
                     "not %lld",
                     t->task_key, (long long)t->max_retries);
    }
    if (t->timeout_seconds < 0) {
        loc_of(job, json_object_get(t->raw, "timeout_seconds"), &loc);
        jc_diags_add(diags, &loc,
                     "task '%s': timeout_seconds must not be negative",
                     t->task_key);
    }
    if (t->min_retry_interval_millis < 0) {
        loc_of(job, json_object_get(t->raw, "min_retry_interval_millis"), &loc);
        jc_diags_add(diags, &loc,
                     "task '%s': min_retry_interval_millis must not be "
                     "negative",
                     t->task_key);
    }
    if (t->type == JC_TASK_COMMAND && t->ncommand == 0) {
        loc_of(job, json_object_get(t->raw, "command_task"), &loc);
        jc_diags_add(diags, &loc,
                     "task '%s': command_task needs a non-empty 'command' "
                     "list",
                     t->task_key);
    }
    if (t->type == JC_TASK_NOTEBOOK && !t->notebook_path) {
        loc_of(job, json_object_get(t->raw, "notebook_task"), &loc);
        jc_diags_add(diags, &loc,
                     "task '%s': notebook_task needs 'notebook_path'",
                     t->task_key);
    }
    if (t->type == JC_TASK_SPARK_PYTHON && !t->python_file) {
        loc_of(job, json_object_get(t->raw, "spark_python_task"), &loc);
        jc_diags_add(diags, &loc,
                     "task '%s': spark_python_task needs 'python_file'",
                     t->task_key);
    }
    if (t->type == JC_TASK_FOR_EACH) {
        v = json_object_get(t->raw, "for_each_task");
        if (!t->for_each_inputs) {
            loc_of(job, v ? v : t->raw, &loc);
            jc_diags_add(diags, &loc, "task '%s': for_each_task needs 'inputs'",
                         t->task_key);
        }
        if (t->for_each_concurrency < 1 || t->for_each_concurrency > 100) {
            json_t *c = json_object_get(v, "concurrency");

            loc_of(job, c ? c : t->raw, &loc);
            jc_diags_add(diags, &loc,
                         "task '%s': for_each_task concurrency must be "
                         "between 1 and 100",
                         t->task_key);
        }
    }
    if (t->type == JC_TASK_CONDITION) {
        static const char *const ops[] = {
            "EQUAL_TO",     "NOT_EQUAL",
            "GREATER_THAN", "GREATER_THAN_OR_EQUAL",
            "LESS_THAN",    "LESS_THAN_OR_EQUAL"};
        size_t i;
        bool ok = false;

        for (i = 0; t->cond_op && i < sizeof(ops) / sizeof(ops[0]); i++)
            ok = ok || !strcmp(t->cond_op, ops[i]);
        if (!ok) {
            v = json_object_get(json_object_get(t->raw, "condition_task"),
                                "op");
            loc_of(job, v ? v : t->raw, &loc);
            jc_diags_add(diags, &loc,
                         "task '%s': invalid condition_task op '%s'",
                         t->task_key, t->cond_op ? t->cond_op : "");
        }
    }
    if (t->compute == JC_COMPUTE_JOB_CLUSTER && t->job_cluster_key) {
        size_t i;
        bool found = false;

        for (i = 0; i < json_array_size(job_clusters); i++) {
            json_t *k = json_object_get(json_array_get(job_clusters, i),
                                        "job_cluster_key");

            if (json_is_string(k) &&
                !strcmp(json_string_value(k), t->job_cluster_key))
                found = true;
        }
        if (!found) {
            loc_of(job, json_object_get(t->raw, "job_cluster_key"), &loc);
            jc_diags_add(diags, &loc,
                         "task '%s': job_cluster_key '%s' is not defined in "
                         "job_clusters",
                         t->task_key, t->job_cluster_key);
        }
    }
}

static void check_schedule(const struct jc_job *job, struct jc_diags *diags)
{
    json_t *s = json_object_get(job->settings, "schedule");
    json_t *v;
    struct jc_src_loc loc;

    if (!job->schedule.present)
        return;
    v = json_object_get(s, "quartz_cron_expression");
    if (!job->schedule.quartz_cron_expression) {
        loc_of(job, v ? v : s, &loc);
        jc_diags_add(diags, &loc, "schedule: missing quartz_cron_expression");
    } else {
        struct jc_cron *cron = NULL;
        char err[256];

        if (jc_cron_parse(&cron, job->schedule.quartz_cron_expression, err,
                          sizeof(err)) < 0) {
            loc_of(job, v ? v : s, &loc);
            jc_diags_add(diags, &loc,
                         "schedule: invalid quartz_cron_expression '%s': %s",
                         job->schedule.quartz_cron_expression, err);
        }
        jc_cron_free(cron);
    }
    v = json_object_get(s, "timezone_id");
    loc_of(job, NULL, &loc);
    if (!job->schedule.timezone_id) {
        loc_of(job, v ? v : s, &loc);
        jc_diags_add(diags, &loc, "schedule: missing timezone_id");
    } else {
        const struct jc_tz *tz = NULL;

        if (jc_tz_load(&tz, job->schedule.timezone_id) < 0) {
            loc_of(job, v ? v : s, &loc);
            jc_diags_add(diags, &loc, "schedule: unknown timezone_id '%s'",
                         job->schedule.timezone_id);
        }
    }
    v = json_object_get(s, "pause_status");
    if (v && !json_is_null(v) &&
        (!json_is_string(v) || (strcmp(json_string_value(v), "PAUSED") &&
                                strcmp(json_string_value(v), "UNPAUSED")))) {
        loc_of(job, v, &loc);
        jc_diags_add(diags, &loc,
                     "schedule: pause_status must be PAUSED or UNPAUSED");
    }
    if (json_object_get(job->settings, "continuous")) {
        loc_of(job, json_object_get(job->settings, "continuous"), &loc);
        jc_diags_add(diags, &loc,
                     "only one of 'schedule' and 'continuous' may be set");
    }
}

/* "file:LINE:COL: ..." -> line, col (0, 0 when absent) */
static void msg_pos(const char *m, long *line, long *col)
{
    const char *p;

    *line = 0;
    *col = 0;
    for (p = strchr(m, ':'); p; p = strchr(p + 1, ':')) {
        char *e1, *e2;
        long l = strtol(p + 1, &e1, 10);

        if (e1 == p + 1 || *e1 != ':')
            continue;
        *col = strtol(e1 + 1, &e2, 10);
        if (e2 == e1 + 1 || e2[0] != ':' || e2[1] != ' ')
            continue;
        *line = l;
        return;
    }
}

struct sortent {
    struct jc_diag d;
    long line;
    long col;
    size_t seq;
};

static int sort_cmp(const void *a, const void *b)
{
    const struct sortent *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort the diagnostics added since `from` by position (stable). */
static void sort_diags(struct jc_diags *d, size_t from)
{
    size_t n = d->n - from, i;
    struct sortent *v;

    if (n < 2)
        return;
    v = ju_xcalloc(n, sizeof(*v));
    for (i = 0; i < n; i++) {
        v[i].d = d->items[from + i];
        v[i].seq = i;
        msg_pos(v[i].d.msg, &v[i].line, &v[i].col);
    }
    qsort(v, n, sizeof(*v), sort_cmp);
    for (i = 0; i < n; i++)
        d->items[from + i] = v[i].d;
    free(v);
}

/* ---- {{tasks.<key>...}} references ------------------------------------ */

struct anc;
static bool is_ancestor(struct anc *a, size_t anc_idx, size_t from);

/*
 * For each "{{ tasks.<key>.<...> }}" in s: <key> must be a task upstream
 * of task i (otherwise its values can never be available).
 */
static void check_refs_in(const struct jc_job *job, const struct jc_dag *dag,
                          size_t i, struct anc *up, const json_t *node,
                          struct jc_diags *diags)
{
    const char *s = json_string_value(node);
    const char *p = s;

    while ((p = strstr(p, "{{")) != NULL) {
        const char *ref = p, *q = p + 2, *end = strstr(q, "}}");
        char key[256];
        size_t kn = 0, ti;
        struct jc_src_loc loc;

        if (!end)
            return;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        p = end + 2;
        if ((size_t)(end - q) < 7 || strncmp(q, "tasks.", 6))
            continue;
        q += 6;
        if (*q == '`') {
            const char *bq = memchr(q + 1, '`', (size_t)(end - q - 1));

            if (!bq || (size_t)(bq - q - 1) >= sizeof(key))
                continue;
            kn = (size_t)(bq - q - 1);
            memcpy(key, q + 1, kn);
        } else {
            while (q + kn < end && q[kn] != '.' && q[kn] != ' ' &&
                   kn + 1 < sizeof(key))
                kn++;
            memcpy(key, q, kn);
        }
        key[kn] = '\0';
        if (!kn)
            continue;
        if (!jc_dag_lookup(dag, key, &ti)) {
            loc_of(job, node, &loc);
            jc_diags_add(diags, &loc,
                         "task '%s': reference '%.*s' names unknown task "
                         "'%s'",
                         job->tasks[i].task_key, (int)(p - ref), ref, key);
        } else if (ti == i || !is_ancestor(up, ti, i)) {
            loc_of(job, node, &loc);
            jc_diags_add(diags, &loc,
                         "task '%s': reference '%.*s' names task '%s', which "
                         "is not upstream of it (add it to depends_on)",
                         job->tasks[i].task_key, (int)(p - ref), ref, key);
        }
    }
}

static void walk_refs(const struct jc_job *job, const struct jc_dag *dag,
                      size_t i, struct anc *up, const json_t *node, int depth,
                      struct jc_diags *diags)
{
    const char *k;
    json_t *v;
    size_t n;

    if (depth > 64)
        return;
    if (json_is_string(node)) {
        if (strstr(json_string_value(node), "{{"))
            check_refs_in(job, dag, i, up, node, diags);
    } else if (json_is_object(node)) {
        json_object_foreach((json_t *)node, k, v)
        {
            if (strcmp(k, "depends_on"))
                walk_refs(job, dag, i, up, v, depth + 1, diags);
        }
    } else if (json_is_array(node)) {
        for (n = 0; n < json_array_size(node); n++)
            walk_refs(job, dag, i, up, json_array_get(node, n), depth + 1,
                      diags);
    }
}

static bool has_task_ref(const json_t *node, int depth)
{
    const char *k;
    json_t *v;
    size_t n;

    if (depth > 64)
        return false;
    if (json_is_string(node))
        return strstr(json_string_value(node), "tasks.") &&
               strstr(json_string_value(node), "{{");
    if (json_is_object(node)) {
        json_object_foreach((json_t *)node, k,
                            v) if (has_task_ref(v, depth + 1)) return true;
    } else if (json_is_array(node)) {
        for (n = 0; n < json_array_size(node); n++)
            if (has_task_ref(json_array_get(node, n), depth + 1))
                return true;
    }
    return false;
}

/* Ancestor test by a backwards search from `from` (generation stamps). */
struct anc {
    const struct jc_dag *dag;
    unsigned *seen;
    unsigned gen;
    size_t *stack;
};

static bool is_ancestor(struct anc *a, size_t anc_idx, size_t from)
{
    size_t sp = 0, n, k;
    const size_t *par = jc_dag_parents(a->dag, from, &n);

    for (k = 0; k < n; k++)
        if (par[k] == anc_idx)
            return true; /* the usual case: a direct parent */
    a->gen++;
    a->stack[sp++] = from;
    a->seen[from] = a->gen;
    while (sp) {
        size_t u = a->stack[--sp];

        par = jc_dag_parents(a->dag, u, &n);
        for (k = 0; k < n; k++) {
            size_t p = par[k];

            if (p == anc_idx)
                return true;
            if (a->seen[p] != a->gen) {
                a->seen[p] = a->gen;
                a->stack[sp++] = p;
            }
        }
    }
    return false;
}

static void check_refs(const struct jc_job *job, const struct jc_dag *dag,
                       struct jc_diags *diags)
{
    size_t i, n = jc_dag_size(dag);
    struct anc a;

    a.dag = dag;
    a.seen = NULL;
    a.stack = NULL;
    a.gen = 0;
    for (i = 0; i < n && i < job->ntasks; i++) {
        if (!has_task_ref(job->tasks[i].raw, 0))
            continue;
        if (!a.seen) {
            a.seen = ju_xcalloc(n + 1, sizeof(unsigned));
            a.stack = ju_xcalloc(n + 1, sizeof(size_t));
        }
        walk_refs(job, dag, i, &a, job->tasks[i].raw, 0, diags);
    }
    free(a.seen);
    free(a.stack);
}

int jc_spec_validate(const struct jc_job *job, struct jc_diags *diags)
{
    size_t before = diags->n;
    struct jc_src_loc loc;
    struct jc_dag *dag = NULL;
    json_t *job_clusters = json_object_get(job->settings, "job_clusters");
    size_t i, k, *stamp;
    bool graph_ok = true;

    /* problems noted while building the model (types, run_if, ...) */
    if (job->priv)
        for (i = 0; i < job->priv->notes.n; i++)
            jc_diags_add(diags, NULL, "%s", job->priv->notes.items[i].msg);

    if (job->ntasks == 0 || (job->remote && job->ntasks > MAX_TASKS))
        loc_of(job, job->settings, &loc);
    if (job->ntasks == 0)
        jc_diags_add(diags, &loc, "job has no tasks");
    /* Databricks rejects more than 1000 tasks; local runs have no limit */
    if (job->remote && job->ntasks > MAX_TASKS)
        jc_diags_add(diags, &loc,
                     "remote job has %zu tasks; Databricks allows at most %d",
                     job->ntasks, MAX_TASKS);
    if (job->max_concurrent_runs < 0 || job->max_concurrent_runs > 1000) {
        loc_of(job, json_object_get(job->settings, "max_concurrent_runs"),
               &loc);
        jc_diags_add(diags, &loc,
                     "max_concurrent_runs must be between 0 and 1000");
    }
    if (job->timeout_seconds < 0) {
        loc_of(job, json_object_get(job->settings, "timeout_seconds"), &loc);
        jc_diags_add(diags, &loc, "job timeout_seconds must not be negative");
    }
    for (i = 0; i < job->nparams; i++) {
        if (!param_name_ok(job->params[i].name)) {
            loc_of(
                job,
                json_array_get(json_object_get(job->settings, "parameters"), i),
                &loc);
            jc_diags_add(diags, &loc,
                         "job parameter name '%s' may only use "
                         "[A-Za-z0-9_.-]",
                         job->params[i].name);
        }
    }
    {
        json_t *tags = json_object_get(job->settings, "tags");

        if (json_is_object(tags) && json_object_size(tags) > 25) {
            loc_of(job, tags, &loc);
            jc_diags_add(diags, &loc, "job has %zu tags; at most 25 allowed",
                         json_object_size(tags));
        }
    }
    check_schedule(job, diags);

    /* task keys, dependencies */
    jc_dag_new(&dag, job, JC_DAG_LENIENT);
    stamp = ju_xcalloc(job->ntasks + 1, sizeof(size_t));
    for (i = 0; i < job->ntasks; i++) {
        const struct jc_task *t = &job->tasks[i];
        size_t first;

        loc_of(job, t->raw, &loc);
        if (!*t->task_key) {
            graph_ok = false;
        } else if (jc_dag_lookup(dag, t->task_key, &first) && first != i) {
            struct jc_src_loc floc;

            loc_of(job, job->tasks[first].raw, &floc);
            if (floc.line > 0)
                jc_diags_add(diags, &loc,
                             "duplicate task_key '%s' (first defined at "
                             "line %d)",
                             t->task_key, floc.line);
            else
                jc_diags_add(diags, &loc, "duplicate task_key '%s'",
                             t->task_key);
            graph_ok = false;
        }
        for (k = 0; k < t->ndeps; k++) {
            size_t p;
            const struct jc_task *pt;

#define DEPLOC() loc_of(job, dep_node(t, k), &loc)
            if (!jc_dag_lookup(dag, t->deps[k].task_key, &p)) {
                DEPLOC();
                jc_diags_add(diags, &loc,
                             "task '%s' depends on unknown task '%s'",
                             t->task_key, t->deps[k].task_key);
                graph_ok = false;
                continue;
            }
            /* O(1) duplicate test: stamp[p] == i + 1 once p was seen */
            if (stamp[p] == i + 1) {
                DEPLOC();
                jc_diags_add(diags, &loc,
                             "task '%s' lists dependency '%s' twice",
                             t->task_key, t->deps[k].task_key);
            }
            stamp[p] = i + 1;
            pt = &job->tasks[p];
            if (t->deps[k].outcome && (pt->type != JC_TASK_CONDITION ||
                                       (strcmp(t->deps[k].outcome, "true") &&
                                        strcmp(t->deps[k].outcome, "false")))) {
                DEPLOC();
                if (pt->type != JC_TASK_CONDITION)
                    jc_diags_add(diags, &loc,
                                 "task '%s': 'outcome' is only allowed on a "
                                 "dependency on a condition_task ('%s' is "
                                 "not one)",
                                 t->task_key, pt->task_key);
                else if (strcmp(t->deps[k].outcome, "true") &&
                         strcmp(t->deps[k].outcome, "false"))
                    jc_diags_add(diags, &loc,
                                 "task '%s': outcome must be \"true\" or "
                                 "\"false\", not '%s'",
                                 t->task_key, t->deps[k].outcome);
            }
        }
#undef DEPLOC
        check_task(job, t, job_clusters, diags);
        if (t->for_each_task)
            check_task(job, t->for_each_task, job_clusters, diags);
    }
    if (dag)
        check_refs(job, dag, diags);
    if (dag && jc_dag_has_cycle(dag)) {
        size_t first = 0;
        char *path = jc_dag_cycle_path(dag, &first);

        loc_of(job, job->tasks[first].raw, &loc);
        jc_diags_add(diags, &loc, "dependency cycle: %s", path);
        free(path);
    }
    (void)graph_ok;
    free(stamp);
    jc_dag_free(dag);
    sort_diags(diags, before);
    return diags->n > before ? JC_EINVAL : 0;
}
