"""`if`/`elif`/`else`, `case` (its arms read once, a known value going straight to its arm
through an index of the literal patterns), `for`, `for ((;;))`, `while`/`until` (pass by
pass while the condition is known; two passes, then unknown values, when it is not)."""

from __future__ import annotations

import bisect

from tree_sitter import Node

from ..model import Comparison, Condition, Frame
from . import patterns
from .merge import distinct, havoc, join, joined_case, kept_guards, loop_fingerprint
from .state import State
from .syntax import UNCHECKED, CaseArm, CaseArms, case_arms, if_clauses, node_text, statements
from .values import EMPTY, Val
from .wordplan import simple_var, test_word, word_plan, words_read


def x_if_statement(interp, node, st):
    frames = st.frames
    clauses = if_clauses(node, interp.caches)
    out: list[State] = []
    pending = [st]
    for cond, body in clauses:
        nxt = []
        for s in pending:
            if cond is None:
                out.extend(interp.exec_block(body, [s]))
                continue
            for c in exec_conds(interp, cond, s):
                if c.flow:
                    out.append(c)
                elif c.status == 0:
                    seed = c.fork() if c.status_assumed else None  # the path where the tool fails, if any
                    taken = interp.exec_block(body, [c])
                    out.extend(taken)
                    if seed is not None:
                        later = clauses[clauses.index((cond, body)) + 1:]
                        out.extend(interp.if_it_fails(seed, cond[-1], lambda f: if_rest(interp, later, f), taken))
                else:
                    if c.status_assumed:  # `if ! tool; then ...`: if the tool fails, the body runs
                        out.extend(interp.if_it_fails(c, cond[-1], lambda f, b=body: interp.exec_block(b, [f]), [c]))
                    nxt.append(c)
        pending = nxt
    for s in pending:
        s.status = 0
    out += pending
    for s in out:
        s.frames = kept_guards(frames, s.frames)
    return interp.cap(join(out) if len(out) > 1 else out, st, node)


def if_rest(interp, clauses, st: State) -> list[State]:
    """The rest of an `if` after a condition failed: the next elif / else, or nothing."""
    for cond, body in clauses:
        if cond is None:
            return interp.exec_block(body, [st])
        out, pending = [], []
        for c in exec_conds(interp, cond, st):
            (out if c.flow else pending if c.status else out).append(c)
        if not pending and all(c.flow for c in out):
            return out
        later = clauses[clauses.index((cond, body)) + 1:]
        done = [r for c in out if not c.flow for r in interp.exec_block(body, [c])] + [c for c in out if c.flow]
        return done + [r for c in pending for r in if_rest(interp, later, c)]
    st.status = 0
    return [st]


def exec_conds(interp, nodes: list[Node], st: State) -> list[State]:
    states = [st]
    for node in nodes:
        nxt = []
        for s in states:
            nxt.extend([s] if s.flow else interp.exec_cond(node, s))
        states = nxt
    return states


def x_case_statement(interp, node, st):
    frames, before = st.frames, st.assumptions
    value_node = node.child_by_field_name("value")
    subject = interp.expand_string(value_node, st) if value_node is not None else EMPTY
    arms = case_arms(node, interp.caches)
    out: list[State] = []
    pending = [(st, False)]  # (state, run this arm's body without testing: fall-through)
    i, cut = 0, False
    while i < len(arms.arms):
        if subject.known and len(pending) == 1 and not pending[0][1]:
            # One state and a value known statically: go straight to the arm it matches.
            j, matched = first_arm(interp, arms, i, subject, pending[0][0], node, value_node)
            if j >= len(arms.arms):
                break
            i = j
            if matched:
                pending = [(pending[0][0], True)]  # the arm is known to match: run its body
        arm = arms.arms[i]
        nxt: list[tuple[State, bool]] = []
        for s, forced in pending:
            if forced:
                branches = [(s, True)]
            elif cut:
                branches = [(s, False)]
            else:
                branches = case_match(interp, s, arm, subject, value_node)
            for b, matched in branches:
                if not matched:
                    nxt.append((b, False))
                    continue
                for r in interp.exec_block(list(arm.body), [b]):
                    if r.flow:
                        out.append(r)
                    elif arm.term == ";&":
                        nxt.append((r, True))
                    elif arm.term == ";;&":
                        nxt.append((r, False))
                    else:
                        out.append(r)
        pending = nxt
        i += 1
        if not cut and len(out) > 2 * interp.settings.max_paths and i < len(arms.arms):
            # A value not known statically may match any arm: past this many paths the
            # prefixes of "does not match" that each one carries would grow quadratically.
            cut = True
            interp.incomplete(interp.loc(st, arms.arms[i].item),
                            f"case with more than {2 * interp.settings.max_paths} paths: the arms from here on were not followed",
                            cut=True)
    for s, _ in pending:
        out.append(s)
    for s in out:
        s.frames = kept_guards(frames, s.frames)
        if not s.flow and s.status is None:
            s.status = 0
    merged = joined_case(out, before, frames) if len(out) > 1 else None
    return [merged] if merged is not None else interp.cap(join(out) if len(out) > 1 else out, st, node)


def first_arm(interp, arms: "CaseArms", start: int, subject: Val, st: State, node: Node, value_node) -> tuple[int, bool]:
    """From arm `start` on, the first arm a known value matches, through the index of the
    arms' literal patterns (a loop passing a case of thousands of arms does not test each in
    turn).  Returns (its index, True); or (index, False) for an arm whose patterns depend on
    the state, tested as usual; or (number of arms, False) when none matches.  The arms
    passed over did not match: their conditions are recorded, once per place."""
    extglob = "extglob" in st.globopts
    literal, ordered = case_index(interp, arms, st, extglob)
    hits = literal.get(subject.text, ())
    k = bisect.bisect_left(hits, start)
    found, matched = (hits[k], True) if k < len(hits) else (len(arms.arms), False)
    for j in ordered[bisect.bisect_left(ordered, start):]:
        if j >= found:
            break
        arm = arms.arms[j]
        if arm.pieces is None:
            found, matched = j, False
            break
        interp.steps += 1  # a pattern tested: work the step limit bounds
        if any(patterns.matches_compiled(subject.text, tokens) for tokens in arm.compiled(extglob)):
            found, matched = j, True
            break
    if found > start:
        arms_not_matched(interp, arms, start, found, subject, st, node, value_node)
        st.status = 0  # (a case no arm of which matches returns 0)
    if matched:
        arm = arms.arms[found]
        cond = interp.condition(Condition(interp.loc(st, arm.item), arm.condition_text(value_node), tuple(sorted(subject.sources)),
                                          True, arm_comparison(arm, value_node)))
        interp.pass_guard(st, cond)
        st.status = 0
    return found, matched


def arms_not_matched(interp, arms: "CaseArms", start: int, end: int, subject: Val, st: State, node: Node, value_node) -> None:
    """Record that arms start..end-1 (static patterns) did not match a known value.  With a
    value known statically, only the arm taken joins the path (`pass_guard`): it implies
    the others did not match, and a loop passing thousands of arms keeps one frame a pass."""
    variables = tuple(sorted(subject.sources))
    key = (node.id, interp.loc(st, node), variables, start)
    done = interp.arms_recorded.get(key, start)
    for j in range(done, end):
        arm = arms.arms[j]
        interp.condition(Condition(interp.loc(st, arm.item), arm.condition_text(value_node), variables, False,
                                   arm_comparison(arm, value_node)))
    interp.arms_recorded[key] = max(done, end)


def case_index(interp, arms: "CaseArms", st: State, extglob: bool) -> tuple[dict[str, list[int]], list[int]]:
    """(literal text -> the arms with a pattern that matches exactly it, the arms tested in
    order: a glob or a pattern that depends on the state), made once per case and extglob."""
    found = arms.index.get(extglob)
    if found is not None:
        return found
    literal: dict[str, list[int]] = {}
    ordered: list[int] = []
    for i, arm in enumerate(arms.arms):
        if arm.pieces is UNCHECKED:
            arm.pieces = static_patterns(interp, arm, st)
        if arm.pieces is None:
            ordered.append(i)
            continue
        glob = False
        for pattern in arm.pieces:
            text = patterns.literal_text(pattern, extglob=extglob)
            if text is None:
                glob = True
            elif not literal.get(text) or literal[text][-1] != i:
                literal.setdefault(text, []).append(i)
        if glob:
            ordered.append(i)
    found = arms.index[extglob] = (literal, ordered)
    return found


def static_patterns(interp, arm: "CaseArm", st: State) -> tuple | None:
    """The arm's patterns when they are literal text (no expansion): the same in every state."""
    if arm.head is not None or any(n.type == "ERROR" or word_plan(n, False, interp.caches).static is None for g in arm.groups for n in g):
        return None
    pieces = [interp.pattern(g[0], st) if len(g) == 1 else interp.pattern_group(list(g), st) for g in arm.groups]
    if any(p is None or src for p, src in pieces):
        return None
    return tuple(p for p, _ in pieces)


def case_match(interp, st: State, arm: "CaseArm", subject: Val, value_node) -> list[tuple[State, bool]]:
    # One pattern may be several nodes: `*"Qwen"*` is a glob, a string and a glob side by side
    # (no `|` between); a pattern tree-sitter could not read starts in the ERROR node `head`.
    interp.steps += 1  # a pattern tested: work the step limit bounds
    item, head, groups = arm.item, arm.head, [list(g) for g in arm.groups]
    if head is not None:
        if groups and head.end_byte == groups[0][0].start_byte and head.named_children:
            groups[0] = list(head.named_children) + groups[0]
        else:
            interp.incomplete(interp.loc(st, head), f"case pattern {interp.text(head)!r} not understood: both outcomes kept")
            groups = [[head]]
    pieces = [interp.pattern(g[0], st) if len(g) == 1 and g[0] is not head else interp.pattern_group(g, st) for g in groups]
    shown = ["".join(interp.text(p) for p in g) for g in groups]
    text = f"case {interp.text(value_node) if value_node is not None else ''} in {' | '.join(shown)})"
    sources = subject.sources | frozenset().union(*(src for _, src in pieces)) if pieces else subject.sources
    location = interp.loc(st, item)
    variables = tuple(sorted(sources))
    compares = arm_comparison(arm, value_node, groups if head is not None else None)
    if subject.known and all(p is not None for p, _ in pieces):
        extglob = "extglob" in st.globopts
        matched = any(patterns.matches(subject.text, p, extglob=extglob, caches=interp.caches) for p, _ in pieces)
        cond = interp.condition(Condition(location, text, variables, matched, compares))
        if matched:  # a known value: the arm taken joins the path (see `arms_not_matched`)
            interp.pass_guard(st, cond)
        st.status = 0
        return [(st, matched)]
    yes, no = st.fork(), st
    alts = " | ".join(shown)
    shown = subject.origin or interp.text(value_node)
    yes_c = interp.condition(Condition(location, text, variables, True, compares))
    no_c = interp.condition(Condition(location, text, variables, False, compares))
    yes.assumptions += (interp.assumption(yes_c, f"{shown} matches {alts}"),)
    no.assumptions += (interp.assumption(no_c, f"{shown} does not match {alts}"),)
    var = simple_var(value_node, interp.caches)
    if var and len(pieces) == 1 and pieces[0][0] is not None and not patterns.is_glob(pieces[0][0], extglob="extglob" in st.globopts):
        interp.refine(yes, var, Val("".join(t for t, _ in pieces[0][0]), sources=frozenset({var})))
    for s, c in ((yes, yes_c), (no, no_c)):
        interp.pass_guard(s, c)
    return [(yes, True), (no, False)]


def arm_comparison(arm: "CaseArm", value_node, groups=None) -> Comparison:
    """A `case` arm as a comparison: the variable its subject reads, its first alternative, the
    subject and every alternative as words (`groups`: the arm's patterns as read when tree-sitter
    put the start of one in an ERROR node), read once per arm and subject."""
    key = value_node.id if value_node is not None else None
    found = arm.compared.get(key) if groups is None else None
    if found is None:
        groups = arm.groups if groups is None else groups
        first = "".join(node_text(p) for p in groups[0]) if groups else ""
        reads = dict.fromkeys(words_read(value_node) if value_node is not None else ())
        for group in groups:
            for p in group:
                reads.update(dict.fromkeys(words_read(p)))
        found = Comparison("case", simple_var(value_node) or "", first.strip().strip("\"'"),
                           left=test_word(value_node) if value_node is not None else None,
                           alternatives=tuple(test_word(list(g)) for g in groups), reads=tuple(reads))
        if groups is arm.groups:
            arm.compared[key] = found
    return found


def loop_body(interp, node: Node) -> list[Node]:
    body = node.child_by_field_name("body")
    return statements(body, interp.caches) if body is not None else []


def run_iteration(interp, body: list[Node], s: State, done: list[State]) -> list[State]:
    """One pass of a loop body; finished states go to `done`, the rest continue."""
    s.loop_depth += 1
    cont = []
    for r in interp.exec_block(body, [s]):
        r.loop_depth -= 1
        flow = r.flow
        if flow and flow.kind in ("break", "continue"):
            if flow.count > 1:
                flow.count -= 1
                done.append(r)
                continue
            r.flow = None
            (done if flow.kind == "break" else cont).append(r)
        elif flow:
            done.append(r)
        else:
            cont.append(r)
    return cont


def x_for_statement(interp, node, st):
    frames = st.frames
    var = interp.text(node.child_by_field_name("variable"))
    values = node.children_by_field_name("value")
    items = interp.expand_words(values, st) if values else list(st.positional)
    if st.flow:  # an expansion error (`set -u`, `failglob`): the loop does not run
        return [st]
    if len(items) > interp.settings.max_loop:
        interp.incomplete(interp.loc(st, node), f"loop over {len(items)} items cut at {interp.settings.max_loop}", cut=True)
        items = items[: interp.settings.max_loop]
    if any(not v.known and not v.nonempty for v in items if v.origin.startswith("$") or not v.known):
        if any(not v.known for v in items):
            interp.incomplete(interp.loc(st, node), "loop over values not known statically: one pass per unknown value")
    body = loop_body(interp, node)
    active, done = [st], []
    for item in items:
        nxt = []
        for s in active:
            s.assign(var, item)
            s.touched.add(var)
            if item.entry is not None:
                s.frames = frames + (Frame("entry", item.entry.location, item.entry.text),)
            nxt.extend(run_iteration(interp, body, s, done))
        active = interp.cap(nxt, st, node)
        if not active:
            break
    out = done + active
    for s in out:
        s.frames = frames
        if not s.flow and s.status is None:
            s.status = 0
    if not items:
        st.status = 0
    return out


def x_c_style_for_statement(interp, node, st):
    frames = st.frames
    init = node.child_by_field_name("initializer")
    cond = node.child_by_field_name("condition")
    update = node.child_by_field_name("update")
    body = loop_body(interp, node)
    if init is not None:
        interp.arith_text(st, init, c_for_part(interp, node, "initializer"))
    active, done, n = [st], [], 0
    guessed: list[State] = []  # left after a pass on a condition not known statically
    before = dict(st.vars)
    while active:
        n += 1
        if n > interp.settings.max_loop:
            interp.incomplete(interp.loc(st, node), f"loop stopped after {interp.settings.max_loop} iterations", cut=True)
            break
        nxt = []
        for s in active:
            value = interp.arith_text(s, node, c_for_part(interp, node, "condition")) if cond is not None else 1
            if value is None:
                # Bash runs some number of passes: explore none and one, then forget what the body wrote.
                interp.incomplete(interp.loc(s, node), "loop condition not known statically: values the loop sets are unknown after it")
                text = f"(({c_for_part(interp, node, 'condition')}))"
                location = interp.loc(s, node)
                passed = s.fork()
                for outcome, r in ((False, s), (True, passed)):
                    cond_t = interp.condition(Condition(location, text, (), outcome))
                    r.assumptions += (interp.assumption(cond_t, f"`{text}` is {'true' if outcome else 'false'} at first"),)
                guessed.append(s)
                guessed.extend(run_iteration(interp, body, passed, done))
                continue
            if not value:
                done.append(s)
                continue
            for r in run_iteration(interp, body, s, done):
                if update is not None:
                    interp.arith_text(r, node, c_for_part(interp, node, "update"))
                nxt.append(r)
        active = interp.cap(nxt, st, node)
    havoc(guessed, before)
    out = done + active + guessed
    for s in out:
        s.frames = frames
        if not s.flow:
            s.status = 0
    return out


def c_for_part(interp, node: Node, name: str) -> str:
    """The source text of one of the three parts of `for ((a; b; c))`."""
    part = node.child_by_field_name(name)
    if part is None:
        return ""
    # A part may be several comma-separated nodes: take everything up to its `;`.
    start = part.start_byte
    end = part.end_byte
    for c in node.children:
        if c.start_byte >= start and c.type not in (";", "))", "do_group") and c.is_named:
            end = max(end, c.end_byte) if c.start_byte < _next_semi(node, start) else end
    return node.text[start - node.start_byte : end - node.start_byte].decode()


def _next_semi(node: Node, start: int) -> int:
    return next((c.start_byte for c in node.children if c.type in (";", "))") and c.start_byte >= start), node.end_byte)


def x_while_statement(interp, node, st):
    """`while`/`until`, pass by pass while the condition is known.  A path whose exit was
    decided on a value not known statically (an unknown `read`, a polling `grep -q && break`)
    is followed for two such passes, the second with what the loop writes unknown (it stands
    for every later one): bash may run any number, so what the loop wrote becomes
    unknown on the paths that leave it that way.  A condition that is an external command
    (`while tool`, `until curl -sf URL`) has a status no one knows: the loop may end at any
    pass.  Leaving it the way the command's assumed success says is certain (as after any
    command), the other way runs the body as possible; what the body writes is unknown after
    the loop on every path, and paths that then go on alike are one."""
    frames = st.frames
    until = node.children[0].type == "until"
    conds = [c for c in node.children_by_field_name("condition") if c.is_named]
    body = loop_body(interp, node)
    before = dict(st.vars)
    active, done, guessed_exits, n = [(st, 0)], [], [], 0  # (path, passes followed on guessed values)
    tool_status = False
    seen: set[int] = set()  # loop-head states already explored: a repeat makes no progress
    while active:
        n += 1
        if n > interp.settings.max_loop:
            interp.incomplete(interp.loc(st, node), f"loop stopped after {interp.settings.max_loop} iterations", cut=True)
            done += [s for s, _ in active]
            break
        nxt = []
        for s, uncertain in active:
            key = loop_fingerprint(s)
            if key in seen:
                interp.incomplete(interp.loc(s, node), "loop on values not known statically: followed for two passes" if uncertain
                                else "loop makes no progress on a path (bash would not stop): path dropped")
                continue
            seen.add(key)
            base = len(s.assumptions)
            tested = exec_conds(interp, conds, s)
            if any(c.status_assumed and not c.flow for c in tested):
                tool_status = True
                tested = [t for c in tested for t in either_status(interp, c, conds[-1], until)]
            for c in tested:
                guessed = len(c.assumptions) > base
                if c.flow or (c.status == 0) == until:
                    if not c.flow:
                        c.status = 0
                    (guessed_exits if guessed or uncertain else done).append(c)
                    continue
                level = uncertain
                if guessed and uncertain:
                    if uncertain >= 2:
                        interp.incomplete(interp.loc(c, node), "loop on values not known statically: followed for two passes")
                        continue
                    havoc([c], before)  # one more pass with what the loop writes unknown: it stands for the later ones
                    level = 2
                exits: list[State] = []
                cont = run_iteration(interp, body, c, exits)
                exit_guessed = guessed or any(len(x.assumptions) > base for x in exits)
                for x in exits:
                    (guessed_exits if level or len(x.assumptions) > base else done).append(x)
                for r in cont:
                    if len(r.assumptions) > base and exit_guessed:
                        if level >= 2:
                            interp.incomplete(interp.loc(r, node), "loop on values not known statically: followed for two passes")
                            continue
                        if level:
                            havoc([r], before)
                        nxt.append((r, level + 1))
                    else:
                        nxt.append((r, level))
        active = interp.cap([s for s, _ in nxt], st, node) and nxt[: interp.settings.max_paths]
    if guessed_exits:
        interp.incomplete(interp.loc(st, node), "loop passes not known statically: values the loop sets are unknown after it")
        havoc(guessed_exits + done if tool_status else guessed_exits, before)
    out = done + guessed_exits
    if guessed_exits:
        out = distinct(out)
    for s in out:
        s.frames = frames
    return out


def either_status(interp, c: State, node: Node, until: bool) -> list[State]:
    """A loop condition ending in an external command whose success was assumed: the pass
    goes on (the body runs, as possible) or the loop ends (certain: the command's assumed
    outcome when the loop is `until`, its failure when it is `while`)."""
    if c.flow or not c.status_assumed:
        return [c]
    leave, stay = c, c.fork()
    leave.status, leave.status_assumed = (0 if until else 1), False
    stay.status, stay.status_assumed = (1 if until else 0), False
    text = interp.text(node)
    stay.assumptions += (interp.assumption(Condition(interp.loc(c, node), text, (), not until),
                                    f"`{text}` {'fails' if until else 'succeeds'}"),)
    return [leave, stay]
