# callgraph.awk - worst-case stack chain from gcc's static call graph
# (-fcallgraph-info=su .ci files), for scripts/firmware-size.sh.
# POSIX awk (mawk and gawk).
#
# The .ci files are VCG graphs: one node per function (label
# "name\nfile:line:col\nN bytes (static)" when it is defined in that
# object; external ones have no size), one edge per call instruction that
# survived optimisation.  Static functions are titled "file:name", so equal
# static names in different files stay apart; global ones are titled by
# name and join up across files.  A function's cost is its frame plus the
# costliest of its callees.  Recursion makes the bound meaningless and is
# reported.  External callees (not defined in any file read) count
# ext_frame bytes each.
#
# Variables (-v):
#   roots_ci         space-separated .ci files: the functions defined in
#                    them are the entry points of the "roots" chain
#   ext_frame        bytes charged to each external callee (default 0)
#   whole            1: also cost every defined function and report the
#                    worst of them as "all" (recursion anywhere in the
#                    graph is then reported, not only under the roots)
#   indirect_is_ext  1: indirect calls are callbacks that the firmware
#                    supplies, counted like external callees; 0: also
#                    list the functions that make them ("indirect")
#
# Output, one line each:
#   all WORST CHAIN      (only with whole=1)
#   roots WORST CHAIN
#   external NAMES       (callees not defined in the graph)
#   cycle NAMES          (only when there is recursion)
#   indirect NAMES       (only with indirect_is_ext=0, when there are any)
# CHAIN is "f(frame) > g(frame) > ext(ext N)".
function field(name,    v) {
    if (!match($0, name ": \"[^\"]*\""))
        return ""
    v = substr($0, RSTART, RLENGTH)
    sub(/^[^"]*"/, "", v)
    sub(/"$/, "", v)
    return v
}
function short(t) { sub(/.*:/, "", t); return t }
function cost(n,    i, c, best, pick) {
    if (n in memo)
        return memo[n]
    if (n in onstack) {
        cycle = cycle " " short(n)
        return 0
    }
    onstack[n] = 1
    best = 0
    pick = ""
    for (i = 1; i <= ncal[n]; i++) {
        c = cost(cal[n, i])
        if (pick == "" || c > best) {
            best = c
            pick = cal[n, i]
        }
    }
    delete onstack[n]
    nxt[n] = pick
    memo[n] = (n in frame ? frame[n] : ext_frame + 0) + best
    return memo[n]
}
function chain(n,    s) {
    s = ""
    while (n != "") {
        s = s (s == "" ? "" : " > ") short(n) \
            (n in frame ? "(" frame[n] ")" : "(ext " ext_frame + 0 ")")
        n = nxt[n]
    }
    return s
}
BEGIN {
    k = split(roots_ci, r, " ")
    for (i = 1; i <= k; i++)
        is_root[r[i]] = 1
}
/^node:/ {
    t = field("title")
    lab = field("label")
    if (match(lab, /[0-9]+ bytes \(/)) {
        b = substr(lab, RSTART, RLENGTH)
        sub(/ .*/, "", b)
        frame[t] = b + 0
        root[t] = (FILENAME in is_root)
    }
}
/^edge:/ {
    s = field("sourcename")
    d = field("targetname")
    if (!(indirect_is_ext + 0) && d ~ /indirect/)
        indirect = indirect " " short(s)
    if (!((s, d) in edge)) {
        edge[s, d] = 1
        cal[s, ++ncal[s]] = d
    }
}
END {
    worst = -1
    rworst = -1
    for (t in frame) {
        if (!(whole + 0) && !root[t])
            continue
        c = cost(t)
        if (c > worst || (c == worst && t < wt)) { worst = c; wt = t }
        if (root[t] && (c > rworst || (c == rworst && t < rt))) {
            rworst = c
            rt = t
        }
    }
    for (key in edge) {
        split(key, e, SUBSEP)
        if (!(e[2] in frame))
            ext[short(e[2])] = 1
    }
    x = ""
    for (n in ext)
        x = x " " n
    if (whole + 0)
        print "all", worst, chain(wt)
    print "roots", rworst, chain(rt)
    print "external", x
    if (cycle != "")
        print "cycle", cycle
    if (indirect != "")
        print "indirect", indirect
}
