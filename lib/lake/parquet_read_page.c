/*
 * parquet_read_page.c: reading one column chunk of a row group: walks its
 * pages (dictionary, DATA_PAGE v1/v2; index pages skipped), decompresses
 * them, decodes repetition/definition levels and assembles nulls and nested
 * struct/list entries from them. Value decoding is parquet_read_values.c;
 * the footer and the public API are parquet_read.c.
 */
#include "parquet_int.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

/* ------------------------------------------------------------ assembly */

/* Spread n_vals dense values at [base, base + n_vals) over n_entries
 * entries according to mask (1 = value, 0 = null). */
static void spread(struct lake_column *c, size_t base, size_t n_vals,
                   const uint8_t *mask, size_t n_entries)
{
    size_t i;
    size_t k = n_vals;
    size_t nulls = n_entries - n_vals;

    if (nulls == 0) {
        c->length = base + n_entries;
        return;
    }
    lake_column__grow(c, base + n_entries);
    lake_column__make_valid(c);
    if (c->offsets) {
        for (i = n_entries; i-- > 0;) {
            c->offsets[base + 1 + i] = c->offsets[base + k];
            if (mask[i])
                k--;
        }
    } else {
        size_t w = c->width;
        uint8_t *v = c->values;
        for (i = n_entries; i-- > 0;) {
            if (mask[i]) {
                k--;
                if (k != i)
                    memcpy(v + (base + i) * w, v + (base + k) * w, w);
            } else {
                memset(v + (base + i) * w, 0, w);
            }
        }
    }
    memcpy(c->valid + base, mask, n_entries);
    c->null_count += nulls;
    c->length = base + n_entries;
}

static void append_entry(struct lake_column *c, bool valid)
{
    lake_column__ensure(c);
    if (!valid) {
        lake_column__make_valid(c);
        c->valid[c->length] = 0;
        c->null_count++;
    } else if (c->valid) {
        c->valid[c->length] = 1;
    }
    if (c->offsets)
        c->offsets[c->length + 1] = c->offsets[c->length];
    c->length++;
}

/*
 * Walk the levels of one page for a nested leaf: append entries to the
 * owned ancestor nodes and write the leaf's value/null mask. Returns the
 * number of leaf entries in *n_leaf.
 */
static int assemble(struct lake_parquet_reader *r, const struct pq_leaf *lf,
                    struct lake_column **cols, const uint8_t *rep,
                    const uint8_t *def, size_t n, uint8_t *mask, size_t *n_leaf)
{
    size_t e;
    size_t nl = 0;
    size_t last = lf->depth - 1;

    for (e = 0; e < n; e++) {
        int rl = rep ? rep[e] : 0;
        int d = def ? def[e] : lf->max_def;
        size_t k;
        if (rl > lf->max_rep || d > lf->max_def)
            return RERR(r, JC_EPARSE,
                        "column '%s': level %d/%d above max "
                        "%d/%d",
                        lf->dotted, rl, d, lf->max_rep, lf->max_def);
        k = rl == 0 ? 0 : (size_t)lf->start_node[rl];
        if (rl > 0 &&
            (k == 0 || (k - 1 >= lf->own_from && cols[k - 1]->length == 0)))
            return RERR(r, JC_EPARSE,
                        "column '%s': repetition level %d "
                        "without an open list",
                        lf->dotted, rl);
        for (; k <= last; k++) {
            const struct pq_node *nd = &lf->nodes[k];
            bool owned = k >= lf->own_from;
            if (k > 0 && lf->nodes[k - 1].kind == PQN_LIST &&
                k - 1 >= lf->own_from)
                cols[k - 1]->offsets[cols[k - 1]->length]++;
            if (k == last) {
                mask[nl++] = d >= nd->def_present;
                break;
            }
            if (d < nd->def_present) {
                if (owned)
                    append_entry(cols[k], false);
                if (nd->kind == PQN_STRUCT)
                    continue;
                break;
            }
            if (owned)
                append_entry(cols[k], true);
            if (nd->kind == PQN_LIST && d < nd->def_nonempty)
                break;
        }
    }
    *n_leaf = nl;
    return 0;
}

/* ------------------------------------------------------------ pages */

static int read_dict_page(struct lake_parquet_reader *r,
                          const struct pq_leaf *lf, const uint8_t *p,
                          size_t len, size_t n)
{
    struct lake_field f;

    lake_column_release(&r->dict);
    memset(&f, 0, sizeof(f));
    f.type = lf->ltype;
    f.precision = lf->precision;
    f.scale = lf->scale;
    f.name = (char *)"dict";
    lake_column_init(&r->dict, &f);
    r->dict_valid = false;
    if (lake_parquet__decode_plain(r, lf, &r->dict, p, len, n))
        return jc_err_wrap(JC_EPARSE, "dictionary page");
    r->dict_valid = true;
    return 0;
}

/* Number of bytes in v[0..n) equal to x (8 at a time). */
static size_t count_eq(const uint8_t *v, size_t n, uint8_t x)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t pat = ones * x;
    size_t i = 0;
    size_t c = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        uint64_t z;
        memcpy(&w, v + i, 8);
        /* bytes equal to x become 0; map each byte to 1 if zero */
        z = w ^ pat;
        z = ((z | (z >> 4)) & 0x0f0f0f0f0f0f0f0fULL);
        z = ((z | (z >> 2)) & 0x0303030303030303ULL);
        z = ((z | (z >> 1)) & ones) ^ ones;
        c += (size_t)((z * ones) >> 56);
    }
    for (; i < n; i++)
        c += v[i] == x;
    return c;
}

static int data_page(struct lake_parquet_reader *r, const struct pq_leaf *lf,
                     struct lake_column **cols, const struct pq_page_header *h,
                     const uint8_t *body, size_t blen, const uint8_t *lv_rep,
                     size_t rep_len, const uint8_t *lv_def, size_t def_len,
                     bool v2)
{
    size_t n = (size_t)h->num_values;
    struct lake_column *leaf = cols[lf->depth - 1];
    const uint8_t *rep = NULL;
    const uint8_t *def = NULL;
    size_t n_vals = n;
    size_t used;
    size_t base;
    size_t i;
    int rc;

    if (n > LAKE_PARQUET_MAX_PAGE_VALUES)
        return RERR(r, JC_ETOOBIG,
                    "column '%s': page of %zu values exceeds "
                    "the cap",
                    lf->dotted, n);
    r->rep = lake_parquet__scratch(r->rep, &r->lvl_cap, n + 1, 1);
    if (r->lvl_cap > 0) {
        size_t cap2 = r->lvl_cap;
        r->def = ju_xrealloc(r->def, cap2);
        r->mask = ju_xrealloc(r->mask, cap2);
    }
    if (lf->max_rep > 0) {
        if (!v2) {
            uint32_t l;
            if (blen < 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': page too short for "
                            "repetition levels",
                            lf->dotted);
            l = (uint32_t)body[0] | (uint32_t)body[1] << 8 |
                (uint32_t)body[2] << 16 | (uint32_t)body[3] << 24;
            if (l > blen - 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': repetition levels "
                            "length %u exceeds page",
                            lf->dotted, l);
            lv_rep = body + 4;
            rep_len = l;
            body += 4 + l;
            blen -= 4 + l;
        }
        rc = lake_parquet__rle_decode_u8(
            lv_rep, rep_len, lake_parquet__bit_width((uint64_t)lf->max_rep),
            r->rep, n, &used);
        if (rc)
            return jc_err_wrap(rc, "'%s': column '%s': repetition levels",
                               r->name, lf->dotted);
        rep = r->rep;
    }
    if (lf->max_def > 0) {
        if (!v2) {
            uint32_t l;
            if (blen < 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': page too short for "
                            "definition levels",
                            lf->dotted);
            l = (uint32_t)body[0] | (uint32_t)body[1] << 8 |
                (uint32_t)body[2] << 16 | (uint32_t)body[3] << 24;
            if (l > blen - 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': definition levels "
                            "length %u exceeds page",
                            lf->dotted, l);
            lv_def = body + 4;
            def_len = l;
            body += 4 + l;
            blen -= 4 + l;
        }
        rc = lake_parquet__rle_decode_u8(
            lv_def, def_len, lake_parquet__bit_width((uint64_t)lf->max_def),
            r->def, n, &used);
        if (rc)
            return jc_err_wrap(rc, "'%s': column '%s': definition levels",
                               r->name, lf->dotted);
        def = r->def;
        n_vals = count_eq(def, n, (uint8_t)lf->max_def);
    }
    base = leaf->length;
    rc = lake_parquet__decode_values(r, lf, leaf, h->encoding, body, blen,
                                     n_vals);
    if (rc)
        return rc;
    if (leaf->length != base + n_vals)
        return RERR(r, JC_EPARSE,
                    "column '%s': decoded %zu values, "
                    "expected %zu",
                    lf->dotted, leaf->length - base, n_vals);
    if (lf->depth == 1) {
        if (n_vals != n) {
            for (i = 0; i < n; i++)
                r->mask[i] = def[i] == lf->max_def;
            spread(leaf, base, n_vals, r->mask, n);
        }
        return 0;
    }
    {
        size_t n_leaf = 0;
        size_t ones = 0;
        rc = assemble(r, lf, cols, rep, def, n, r->mask, &n_leaf);
        if (rc)
            return rc;
        for (i = 0; i < n_leaf; i++)
            ones += r->mask[i];
        if (ones != n_vals)
            return RERR(r, JC_EPARSE,
                        "column '%s': levels and values "
                        "disagree",
                        lf->dotted);
        spread(leaf, base, n_vals, r->mask, n_leaf);
    }
    return 0;
}

int lake_parquet__read_chunk(struct lake_parquet_reader *r, size_t rg,
                             size_t li, struct lake_column **cols)
{
    const struct pq_chunk *cc = &r->meta.rgs[rg].chunks[li];
    const struct pq_leaf *lf = &r->lo.leaves[li];
    uint64_t start = (uint64_t)cc->data_page_offset;
    uint64_t end;
    uint64_t pos;
    int64_t seen = 0;
    int rc;

    r->dict_valid = false;
    if (cc->has_dict_offset && cc->dictionary_page_offset > 0 &&
        cc->dictionary_page_offset < cc->data_page_offset)
        start = (uint64_t)cc->dictionary_page_offset;
    if (cc->data_page_offset < 4 || start >= r->footer_start)
        return RERR(r, JC_EPARSE,
                    "column '%s' in row group %zu starts at "
                    "offset %lld, outside the data",
                    lf->dotted, rg, (long long)start);
    if (cc->type != lf->phys)
        return RERR(r, JC_EPARSE,
                    "column '%s': chunk type %d differs from "
                    "schema type %d",
                    lf->dotted, cc->type, lf->phys);
    if (!lake_codec__supported(cc->codec))
        return RERR(r, JC_EUNSUPPORTED, "column '%s': compression codec %d",
                    lf->dotted, cc->codec);
    if (cc->num_values < 0)
        return RERR(r, JC_EPARSE, "column '%s': negative num_values",
                    lf->dotted);
    end = r->footer_start;
    if (cc->total_compressed > 0 &&
        (uint64_t)cc->total_compressed <= end - start)
        end = start + (uint64_t)cc->total_compressed;
    pos = start;
    while (seen < cc->num_values) {
        struct pq_page_header h;
        size_t hlen;
        const uint8_t *body;
        size_t blen;
        if (pos >= end)
            return RERR(r, JC_EPARSE,
                        "column '%s': chunk ends at offset "
                        "%llu after %lld of %lld values",
                        lf->dotted, (unsigned long long)pos, (long long)seen,
                        (long long)cc->num_values);
        rc = lake_parquet__page_header_parse(&h, r->data + pos,
                                             (size_t)(end - pos), pos, &hlen);
        if (rc)
            return jc_err_wrap(rc,
                               "'%s': column '%s': page header at offset "
                               "%llu",
                               r->name, lf->dotted, (unsigned long long)pos);
        pos += hlen;
        if ((uint64_t)h.compressed > end - pos)
            return RERR(r, JC_EPARSE,
                        "page header at offset %llu: "
                        "compressed size %d exceeds chunk",
                        (unsigned long long)(pos - hlen), h.compressed);
        if ((size_t)h.uncompressed > LAKE_PARQUET_MAX_PAGE)
            return RERR(r, JC_ETOOBIG,
                        "page header at offset %llu: "
                        "uncompressed size %d exceeds the cap",
                        (unsigned long long)(pos - hlen), h.uncompressed);
        body = r->data + pos;
        blen = (size_t)h.compressed;
        pos += (uint64_t)h.compressed;
        if (h.type == PQ_PAGE_DICTIONARY || h.type == PQ_PAGE_DATA) {
            if (cc->codec != LAKE_CODEC_UNCOMPRESSED) {
                r->page = lake_parquet__scratch(r->page, &r->page_cap,
                                                (size_t)h.uncompressed + 1, 1);
                rc = lake_codec__decompress(cc->codec, body, blen, r->page,
                                            (size_t)h.uncompressed);
                if (rc)
                    return jc_err_wrap(rc,
                                       "'%s': column '%s': page at offset "
                                       "%llu",
                                       r->name, lf->dotted,
                                       (unsigned long long)(pos - blen - hlen));
                body = r->page;
                blen = (size_t)h.uncompressed;
            }
        }
        if (h.type == PQ_PAGE_DICTIONARY) {
            if (!h.has_dict)
                return RERR(r, JC_EPARSE, "dictionary page without header");
            if (h.encoding != PQ_ENC_PLAIN &&
                h.encoding != PQ_ENC_PLAIN_DICTIONARY)
                return RERR(r, JC_EUNSUPPORTED,
                            "column '%s': dictionary "
                            "encoding %d",
                            lf->dotted, h.encoding);
            if ((size_t)h.num_values > blen + 1 && lf->phys != PQ_BOOLEAN)
                return RERR(r, JC_EPARSE,
                            "column '%s': dictionary of %d "
                            "values exceeds its page",
                            lf->dotted, h.num_values);
            rc = read_dict_page(r, lf, body, blen, (size_t)h.num_values);
            if (rc)
                return jc_err_wrap(rc, "'%s': column '%s'", r->name,
                                   lf->dotted);
        } else if (h.type == PQ_PAGE_DATA) {
            if (!h.has_data)
                return RERR(r, JC_EPARSE, "data page without header");
            rc =
                data_page(r, lf, cols, &h, body, blen, NULL, 0, NULL, 0, false);
            if (rc)
                return rc;
            seen += h.num_values;
        } else if (h.type == PQ_PAGE_DATA_V2) {
            size_t lv = (size_t)h.rep_len + (size_t)h.def_len;
            const uint8_t *vals;
            size_t vlen;
            if (!h.has_v2)
                return RERR(r, JC_EPARSE, "data page v2 without header");
            if (lv > blen || (size_t)h.uncompressed < lv)
                return RERR(r, JC_EPARSE,
                            "column '%s': v2 level lengths "
                            "exceed the page",
                            lf->dotted);
            vals = body + lv;
            vlen = blen - lv;
            if (cc->codec != LAKE_CODEC_UNCOMPRESSED && h.is_compressed) {
                size_t un = (size_t)h.uncompressed - lv;
                r->page =
                    lake_parquet__scratch(r->page, &r->page_cap, un + 1, 1);
                rc = lake_codec__decompress(cc->codec, vals, vlen, r->page, un);
                if (rc)
                    return jc_err_wrap(rc, "'%s': column '%s': v2 page",
                                       r->name, lf->dotted);
                vals = r->page;
                vlen = un;
            }
            rc = data_page(r, lf, cols, &h, vals, vlen, body, (size_t)h.rep_len,
                           body + h.rep_len, (size_t)h.def_len, true);
            if (rc)
                return rc;
            seen += h.num_values;
        }
        /* index pages and unknown page types are skipped */
    }
    return 0;
}
