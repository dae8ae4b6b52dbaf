//! The house plan of the source tree, checked from the sources themselves
//! (std only, no parse of Rust beyond paths): no import cycle between the
//! files of a crate, the workbench's stages import only downwards, and no
//! source file grows past a size limit without a stated reason.
//!
//! Everything below the three tests on the real tree is a pure function
//! over `(path, text)` pairs, so the checker is itself tested on tiny trees.
//! Also runs without cargo: `rustc --edition 2024 --test tests/it/layout.rs`.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

/// The workbench's stage folders, lowest first: a file may import from its
/// own stage or a lower one. Any other top-level module is stage `TOP_STAGE`.
const WORKBENCH_STAGES: &[(&str, usize)] = &[
    ("config", 0),
    ("plan", 1),
    ("context", 2),
    ("execute", 3),
    ("outputs", 4),
    ("report", 5),
];
const TOP_STAGE: usize = 6;
const WORKBENCH_DIR: &str = "crates/workbench";

/// Most lines of code a source file may have outside its tests, unless one
/// of its first `SIZE_MARKER_LINES` lines is a comment with `size: <reason>`.
const MAX_CODE_LINES: usize = 600;
const SIZE_MARKER_LINES: usize = 10;

/// A source file of one crate: path relative to the crate (`src/a/b.rs`), text.
type Source = (String, String);
/// A module path below the crate root (`[]` is the root, `["a", "b"]` is a::b).
type Module = Vec<String>;

// ---------------------------------------------------------------------------
// The three checks on the real tree.

#[test]
fn no_import_cycle_between_the_files_of_a_crate() {
    let problems: Vec<String> = crates()
        .iter()
        .flat_map(|c| cycle_problems(&c.name, &c.sources))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn workbench_stages_import_only_downwards() {
    let problems: Vec<String> = crates()
        .iter()
        .filter(|c| c.dir == WORKBENCH_DIR)
        .flat_map(|c| stage_problems(&c.dir, &c.sources))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn source_files_stay_under_the_size_limit() {
    let problems: Vec<String> = crates()
        .iter()
        .flat_map(|c| size_problems(&c.dir, &c.sources))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

struct Crate {
    /// `crates/x`, relative to the workspace root.
    dir: String,
    /// The package name from its Cargo.toml (`geotraj-x`).
    name: String,
    sources: Vec<Source>,
}

/// Every crate under crates/, with the `.rs` files of its src/ folder.
fn crates() -> Vec<Crate> {
    // Under cargo the manifest dir is the workspace root (the root package
    // owns tests/it); standalone, run from the workspace root.
    let root = PathBuf::from(option_env!("CARGO_MANIFEST_DIR").unwrap_or("."));
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("crates"))
        .expect("read the crates/ folder (run from the workspace root)")
        .map(|e| e.expect("list crates/").path())
        .filter(|p| p.join("src").is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let mut sources = Vec::new();
            collect_rs(&dir, &dir.join("src"), &mut sources);
            sources.sort();
            let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
            let short = dir
                .file_name()
                .expect("crate folder name")
                .to_string_lossy();
            Crate {
                dir: format!("crates/{short}"),
                name: package_name(&manifest).unwrap_or_else(|| short.to_string()),
                sources,
            }
        })
        .collect()
}

fn collect_rs(crate_dir: &Path, dir: &Path, out: &mut Vec<Source>) {
    for entry in fs::read_dir(dir).expect("list a source folder") {
        let path = entry.expect("list a source folder").path();
        if path.is_dir() {
            collect_rs(crate_dir, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(crate_dir).expect("file below its crate");
            let text = fs::read_to_string(&path).expect("read a source file");
            // Paths use `/` whatever the platform, as in the messages.
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy());
            out.push((rel.collect::<Vec<_>>().join("/"), text));
        }
    }
}

fn package_name(manifest: &str) -> Option<String> {
    let line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("name"))?;
    Some(line.split('"').nth(1)?.to_string())
}

// ---------------------------------------------------------------------------
// Checks over (path, text) pairs.

/// One message per strongly connected component of the import graph with
/// more than one file: a shortest loop through it, and, when the tangle is
/// bigger than that loop, every import between its files.
fn cycle_problems(crate_name: &str, sources: &[Source]) -> Vec<String> {
    let graph = import_graph(sources);
    let mut problems = Vec::new();
    for component in tangles(&graph.edges, graph.files.len()) {
        let members: BTreeSet<usize> = component.iter().copied().collect();
        let start = component[0];
        let mut loop_files: Vec<&str> = shortest_loop(&graph.edges, &members, start)
            .iter()
            .map(|&f| graph.files[f].as_str())
            .collect();
        loop_files.push(&graph.files[start]);
        let mut message = format!("import cycle in {crate_name}: {}", loop_files.join(" -> "));
        if loop_files.len() - 1 < component.len() {
            message += &format!(
                "\n  (one loop among {} tangled files; their imports of each other:)",
                component.len()
            );
            for &f in &component {
                let inside: Vec<&str> = graph.edges[f]
                    .iter()
                    .filter(|t| members.contains(t))
                    .map(|&t| graph.files[t].as_str())
                    .collect();
                message += &format!("\n    {} -> {}", graph.files[f], inside.join(", "));
            }
        }
        problems.push(message);
    }
    problems
}

/// Imports from a higher stage than the importing file's own. The crate
/// root only declares modules, so it is exempt on both ends.
fn stage_problems(crate_dir: &str, sources: &[Source]) -> Vec<String> {
    let graph = import_graph(sources);
    let stage = |m: &Module| {
        let top = m[0].as_str();
        let named = WORKBENCH_STAGES.iter().find(|(name, _)| *name == top);
        named.map_or(("top", TOP_STAGE), |&(name, s)| (name, s))
    };
    let mut problems = Vec::new();
    for (from, targets) in graph.edges.iter().enumerate() {
        let from_module = &graph.modules[from];
        if from_module.is_empty() {
            continue;
        }
        for &to in targets {
            let to_module = &graph.modules[to];
            if to_module.is_empty() {
                continue;
            }
            let ((from_name, from_stage), (to_name, to_stage)) =
                (stage(from_module), stage(to_module));
            if to_stage > from_stage {
                problems.push(format!(
                    "{crate_dir}/{} (stage {from_name}) imports crate::{} (stage {to_name})",
                    graph.files[from],
                    to_module.join("::")
                ));
            }
        }
    }
    problems
}

/// Files over the size limit without a `size:` reason near the top.
fn size_problems(crate_dir: &str, sources: &[Source]) -> Vec<String> {
    sources
        .iter()
        .filter(|(path, _)| !is_test_file(path))
        .filter_map(|(path, text)| {
            let code = non_test_lines(text)
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty() && !l.starts_with("//"))
                .count();
            let reasoned = text.lines().take(SIZE_MARKER_LINES).any(|l| {
                let l = l.trim_start();
                l.starts_with("//")
                    && l.split_once("size:")
                        .is_some_and(|(_, why)| !why.trim().is_empty())
            });
            (code > MAX_CODE_LINES && !reasoned).then(|| {
                format!(
                    "{crate_dir}/{path}: {code} lines of code outside tests \
                     (limit {MAX_CODE_LINES}; state a reason with `size:` in its first lines)"
                )
            })
        })
        .collect()
}

/// tests.rs files and anything under a tests/ folder hold test code only.
fn is_test_file(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop() == Some("tests.rs") || parts.contains(&"tests")
}

// ---------------------------------------------------------------------------
// The import graph.

struct Graph {
    /// Crate-relative file path of each node.
    files: Vec<String>,
    modules: Vec<Module>,
    /// Per node: the nodes it imports from.
    edges: Vec<BTreeSet<usize>>,
}

/// Nodes are the crate's non-test files; an edge A -> B means A names a path
/// into B (through `crate::`, `self::`, `super::` or one of A's own child
/// modules), in a `use` or inline. A name a module merely re-exports with
/// `use` counts as living where it is defined: `crate::Error` behind
/// `pub use error::Error` in lib.rs is an import of `error`, not of lib.rs
/// (else every facade would tangle with every file that names its
/// re-exports), and a re-export of another crate's name is no edge at all.
fn import_graph(sources: &[Source]) -> Graph {
    let nodes: Vec<(&str, Module)> = sources
        .iter()
        .filter(|(path, _)| !is_test_file(path))
        .filter_map(|(path, _)| Some((path.as_str(), module_of(path)?)))
        .collect();
    let index: BTreeMap<&Module, usize> =
        nodes.iter().enumerate().map(|(i, (_, m))| (m, i)).collect();
    let modules: BTreeSet<&Module> = index.keys().copied().collect();
    let texts: BTreeMap<&str, &str> = sources
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();

    // First every file's paths made absolute, so re-exports are known
    // before any path is resolved through them.
    let mut used: Vec<Vec<Module>> = Vec::new();
    let mut aliases: BTreeMap<(Module, String), Option<Module>> = BTreeMap::new();
    for (path, module) in &nodes {
        let is_child = |name: &str| {
            let mut child = module.clone();
            child.push(name.to_string());
            modules.contains(&child)
        };
        let refs = references(&code_tokens(texts[path]), &is_child);
        let absolute = |raw: &[String]| absolute_path(module, raw, &is_child);
        used.push(refs.paths.iter().filter_map(|p| absolute(p)).collect());
        for (name, target) in &refs.bindings {
            aliases.insert((module.clone(), name.clone()), absolute(target));
        }
    }

    let mut edges = vec![BTreeSet::new(); nodes.len()];
    for (from, paths) in used.iter().enumerate() {
        for path in paths {
            let target = locate(path, &modules, &aliases, 0);
            if let Some(&to) = target.as_ref().and_then(|t| index.get(t))
                && to != from
            {
                edges[from].insert(to);
            }
        }
    }
    Graph {
        files: nodes.iter().map(|(p, _)| p.to_string()).collect(),
        modules: nodes.into_iter().map(|(_, m)| m).collect(),
        edges,
    }
}

/// `src/lib.rs` and `src/main.rs` are the root, `src/a/mod.rs` and
/// `src/a.rs` are `a`, `src/a/b.rs` is `a::b`; src/bin/ holds other crates.
fn module_of(path: &str) -> Option<Module> {
    let rest = path.strip_prefix("src/")?.strip_suffix(".rs")?;
    let mut parts: Vec<String> = rest.split('/').map(str::to_string).collect();
    if parts[0] == "bin" {
        return None;
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    } else if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    Some(parts)
}

/// A path as written, made absolute from the crate root; `None` when it
/// leaves the crate (another crate, std, or a `super` above the root).
fn absolute_path(
    current: &Module,
    raw: &[String],
    is_child: &dyn Fn(&str) -> bool,
) -> Option<Module> {
    let first = raw.first()?.as_str();
    let (mut base, rest) = match first {
        "crate" => (Vec::new(), &raw[1..]),
        "self" => (current.clone(), &raw[1..]),
        "super" => {
            let ups = raw.iter().take_while(|s| *s == "super").count();
            let keep = current.len().checked_sub(ups)?;
            (current[..keep].to_vec(), &raw[ups..])
        }
        _ if is_child(first) => (current.clone(), raw),
        _ => return None,
    };
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The module a path points into: its longest prefix that is a module,
/// followed through `use` re-exports when the next name is one.
fn locate(
    path: &[String],
    modules: &BTreeSet<&Module>,
    aliases: &BTreeMap<(Module, String), Option<Module>>,
    depth: usize,
) -> Option<Module> {
    let known = (0..=path.len())
        .rev()
        .find(|&k| k == 0 || modules.contains(&path[..k].to_vec()))
        .unwrap_or(0);
    let module = path[..known].to_vec();
    // The depth bound only guards against `use` loops in broken sources.
    if let Some(name) = path.get(known).filter(|_| depth < 8)
        && let Some(target) = aliases.get(&(module.clone(), name.clone()))
    {
        let mut through = target.clone()?;
        through.extend(path[known + 1..].iter().cloned());
        return locate(&through, modules, aliases, depth + 1);
    }
    Some(module)
}

/// Tarjan's strongly connected components with more than one node, each
/// sorted, in order of their first node.
fn tangles(edges: &[BTreeSet<usize>], n: usize) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a [BTreeSet<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        next: usize,
        found: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.edges[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        stack: Vec::new(),
        on_stack: vec![false; n],
        next: 0,
        found: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.found.sort();
    s.found
}

/// A shortest walk from `start` back to it inside `members` (breadth-first),
/// without the final return to `start`.
fn shortest_loop(edges: &[BTreeSet<usize>], members: &BTreeSet<usize>, start: usize) -> Vec<usize> {
    let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in edges[v].iter().filter(|w| members.contains(w)) {
            if w == start {
                let mut walk = vec![v];
                while let Some(&p) = came_from.get(walk.last().expect("walk is never empty")) {
                    walk.push(p);
                }
                walk.reverse();
                return walk;
            }
            if let Entry::Vacant(e) = came_from.entry(w) {
                e.insert(v);
                queue.push_back(w);
            }
        }
    }
    // Unreachable for a component of Tarjan's, which is strongly connected.
    vec![start]
}

// ---------------------------------------------------------------------------
// Reading paths out of Rust text.

/// The lines that are not test code. Test modules sit at the end of a file,
/// so a `#[cfg(test)]` line cuts the rest, except where it only guards a
/// one-line item (`mod tests;` in a lib.rs, a `use`): that line alone goes.
fn non_test_lines(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(rest) = lines[i].trim_start().strip_prefix("#[cfg(test)]") {
            let (item, after) = match rest.trim() {
                "" => (lines.get(i + 1).map(|l| l.trim()), i + 2),
                same_line => (Some(same_line), i + 1),
            };
            match item {
                Some(item) if item.ends_with(';') && !item.contains('{') => {
                    i = after;
                    continue;
                }
                _ => break,
            }
        }
        kept.push(lines[i]);
        i += 1;
    }
    kept
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Open,
    Close,
    Comma,
    Star,
    Dollar,
    Other,
}

/// The tokens of the non-test code, with comments and the insides of
/// string and char literals gone (so `"crate::x"` names nothing).
fn code_tokens(text: &str) -> Vec<Tok> {
    let code: Vec<char> = non_test_lines(text).join("\n").chars().collect();
    let ident_char = |c: char| c.is_alphanumeric() || c == '_';
    let mut toks = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let c = code[i];
        let next = code.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < code.len() && code[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < code.len() {
                if code[i] == '/' && code.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if code[i] == '*' && code.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            i += 1;
            while i < code.len() && code[i] != '"' {
                i += if code[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            toks.push(Tok::Other);
        } else if c == '\'' {
            // A char literal ('x', '\n', '\'') or a lifetime ('a), which
            // stays: its name is then read as an identifier, harmlessly.
            if next == Some('\\') {
                i += 3;
                while i < code.len() && code[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if code.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
            toks.push(Tok::Other);
        } else if ident_char(c) {
            let start = i;
            while i < code.len() && ident_char(code[i]) {
                i += 1;
            }
            let word: String = code[start..i].iter().collect();
            // Raw strings: r"..", r#".."#, br".." (whatever their hashes).
            let hashes = code[i..].iter().take_while(|&&h| h == '#').count();
            if (word == "r" || word == "br") && code.get(i + hashes) == Some(&'"') {
                i += hashes + 1;
                let close: Vec<char> = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                while i < code.len() && !code[i..].starts_with(&close) {
                    i += 1;
                }
                i += close.len();
                toks.push(Tok::Other);
            } else if word.starts_with(|d: char| d.is_ascii_digit()) {
                toks.push(Tok::Other);
            } else {
                toks.push(Tok::Ident(word));
            }
        } else {
            i += 1;
            toks.push(match c {
                ':' if next == Some(':') => {
                    i += 1;
                    Tok::Sep
                }
                '{' => Tok::Open,
                '}' => Tok::Close,
                ',' => Tok::Comma,
                '*' => Tok::Star,
                '$' => Tok::Dollar,
                w if w.is_whitespace() => continue,
                _ => Tok::Other,
            });
        }
    }
    toks
}

#[derive(Default)]
struct References {
    /// Paths as written that may lead into the crate.
    paths: Vec<Vec<String>>,
    /// Names bound by `use` items, with the path each stands for.
    bindings: Vec<(String, Vec<String>)>,
}

/// Paths starting with `crate`, `self`, `super` or one of the file's own
/// child modules, from `use` trees (grouped or not) and inline code.
fn references(toks: &[Tok], is_child: &dyn Fn(&str) -> bool) -> References {
    let mut refs = References::default();
    let mut i = 0;
    while i < toks.len() {
        let Tok::Ident(word) = &toks[i] else {
            i += 1;
            continue;
        };
        if word == "use" {
            i += 1;
            let mut leaves = Vec::new();
            use_tree(toks, &mut i, Vec::new(), &mut leaves);
            for (path, name) in leaves {
                if let Some(name) = name.filter(|n| n != "_") {
                    refs.bindings.push((name, path.clone()));
                }
                refs.paths.push(path);
            }
            continue;
        }
        // `$crate` is a macro's crate, and `a::crate` is no start of a path.
        let after_sep_or_dollar = i > 0 && matches!(toks[i - 1], Tok::Sep | Tok::Dollar);
        let starts_path = matches!(word.as_str(), "crate" | "self" | "super") || is_child(word);
        if starts_path && !after_sep_or_dollar && toks.get(i + 1) == Some(&Tok::Sep) {
            let mut path = vec![word.clone()];
            i += 1;
            while toks.get(i) == Some(&Tok::Sep) {
                match toks.get(i + 1) {
                    Some(Tok::Ident(s)) => path.push(s.clone()),
                    _ => break,
                }
                i += 2;
            }
            refs.paths.push(path);
            continue;
        }
        i += 1;
    }
    refs
}

/// One `use` tree from `toks[*i]`: each leaf path, with the name it binds
/// (`None` for a glob). `a::{self, b::{c as d}}` gives a (binding a) and
/// a::b::c (binding d).
fn use_tree(
    toks: &[Tok],
    i: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix;
    loop {
        match toks.get(*i) {
            Some(Tok::Ident(s)) => {
                path.push(s.clone());
                *i += 1;
            }
            Some(Tok::Open) => {
                *i += 1;
                loop {
                    if toks.get(*i) == Some(&Tok::Close) {
                        *i += 1;
                        return;
                    }
                    use_tree(toks, i, path.clone(), out);
                    match toks.get(*i) {
                        Some(Tok::Comma) => *i += 1,
                        Some(Tok::Close) => {}
                        // Not a use tree after all: stop rather than spin.
                        _ => return,
                    }
                }
            }
            Some(Tok::Star) => {
                *i += 1;
                out.push((path, None));
                return;
            }
            // A leading `::` (an external crate) leaves `path` empty.
            _ => break,
        }
        if toks.get(*i) == Some(&Tok::Sep) {
            *i += 1;
        } else {
            break;
        }
    }
    if path.last().is_some_and(|s| s == "self") {
        path.pop();
    }
    let mut name = path.last().cloned();
    if toks.get(*i) == Some(&Tok::Ident("as".into())) {
        if let Some(Tok::Ident(alias)) = toks.get(*i + 1) {
            name = Some(alias.clone());
        }
        *i += 2;
    }
    if !path.is_empty() {
        out.push((path, name));
    }
}

// ---------------------------------------------------------------------------
// The checker on tiny trees.

mod checker {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Vec<Source> {
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    /// The edges of a tree as sorted "src/a.rs -> src/b.rs" lines.
    fn edges(files: &[(&str, &str)]) -> Vec<String> {
        let g = import_graph(&tree(files));
        let mut out = Vec::new();
        for (from, targets) in g.edges.iter().enumerate() {
            for &to in targets {
                out.push(format!("{} -> {}", g.files[from], g.files[to]));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_two_file_cycle_is_found_and_named() {
        let problems = cycle_problems(
            "demo",
            &tree(&[
                ("src/lib.rs", "pub mod a;\npub mod b;\n"),
                ("src/a.rs", "use crate::b::B;\npub struct A;\n"),
                (
                    "src/b.rs",
                    "pub struct B;\npub fn f() -> crate::a::A { crate::a::A }\n",
                ),
            ]),
        );
        assert_eq!(
            problems,
            ["import cycle in demo: src/a.rs -> src/b.rs -> src/a.rs"]
        );
    }

    #[test]
    fn a_bigger_tangle_lists_its_imports() {
        let problems = cycle_problems(
            "demo",
            &tree(&[
                ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
                ("src/a.rs", "use crate::b::X;\n"),
                ("src/b.rs", "use crate::{a::Y, c::Z};\n"),
                ("src/c.rs", "use crate::a::W;\n"),
            ]),
        );
        assert_eq!(problems.len(), 1);
        let message = &problems[0];
        assert!(message.starts_with("import cycle in demo: src/a.rs -> src/b.rs -> src/a.rs"));
        assert!(
            message.contains("one loop among 3 tangled files"),
            "{message}"
        );
        assert!(
            message.contains("src/b.rs -> src/a.rs, src/c.rs"),
            "{message}"
        );
    }

    #[test]
    fn grouped_uses_reach_every_module_named() {
        let found = edges(&[
            ("src/lib.rs", "mod a;\nmod b;\nmod c;\nmod d;\n"),
            ("src/a.rs", "use crate::{b::X, c, d::{self, e}};\n"),
            ("src/b.rs", ""),
            ("src/c.rs", ""),
            ("src/d.rs", "pub mod e;\n"),
            ("src/d/e.rs", ""),
        ]);
        assert_eq!(
            found,
            [
                "src/a.rs -> src/b.rs",
                "src/a.rs -> src/c.rs",
                "src/a.rs -> src/d.rs",
                "src/a.rs -> src/d/e.rs"
            ]
        );
    }

    #[test]
    fn relative_paths_resolve_to_the_longest_existing_module() {
        let found = edges(&[
            ("src/lib.rs", "pub mod config;\npub mod plan;\n"),
            (
                "src/config/mod.rs",
                "pub mod data;\npub use data::DataSource;\n",
            ),
            ("src/config/data.rs", "pub struct DataSource;\n"),
            (
                "src/plan/mod.rs",
                "mod a;\nmod b;\nfn f() { self::a::g(); b::h(); }\n",
            ),
            (
                "src/plan/a.rs",
                "use super::b::Step;\nfn g(_: crate::config::data::DataSource) {}\n",
            ),
            ("src/plan/b.rs", "use super::super::config::Missing;\n"),
        ]);
        assert_eq!(
            found,
            [
                "src/config/mod.rs -> src/config/data.rs",
                "src/plan/a.rs -> src/config/data.rs",
                "src/plan/a.rs -> src/plan/b.rs",
                "src/plan/b.rs -> src/config/mod.rs",
                "src/plan/mod.rs -> src/plan/a.rs",
                "src/plan/mod.rs -> src/plan/b.rs",
            ]
        );
    }

    #[test]
    fn re_exported_names_count_where_they_are_defined() {
        let found = edges(&[
            (
                "src/lib.rs",
                "mod error;\nmod read;\npub use error::Error;\npub use read::read;\n\
                 pub use other::Thing;\npub struct Root;\n",
            ),
            ("src/error.rs", "pub struct Error;\n"),
            (
                "src/read.rs",
                "use crate::{Error, Thing};\npub fn read() -> crate::Root {}\n",
            ),
        ]);
        assert_eq!(
            found,
            [
                "src/lib.rs -> src/error.rs",
                "src/lib.rs -> src/read.rs",
                "src/read.rs -> src/error.rs",
                "src/read.rs -> src/lib.rs"
            ]
        );
    }

    #[test]
    fn tests_comments_strings_and_declarations_are_no_imports() {
        let found = edges(&[
            // Only the re-export after the one-line test item is an import.
            (
                "src/lib.rs",
                "pub mod a;\n#[cfg(test)]\nmod tests;\npub mod b;\npub use b::X;\n",
            ),
            (
                "src/a.rs",
                "//! See crate::b.\n/* crate::b::X */\nconst S: &str = \"crate::b::X\";\n\
                 const R: &str = r#\"crate::b\"#;\nconst C: char = '\"';\n\
                 macro_rules! m { () => { $crate::b::X } }\nfn f<'a>(x: &'a u8) {}\n\
                 #[cfg(test)]\nmod tests {\n    use crate::b::X;\n}\n",
            ),
            ("src/b.rs", "pub struct X;\n"),
            ("src/tests.rs", "use crate::a::f;\n"),
        ]);
        assert_eq!(found, ["src/lib.rs -> src/b.rs"]);
    }

    #[test]
    fn a_stage_violation_is_caught() {
        let problems = stage_problems(
            "crates/workbench",
            &tree(&[
                (
                    "src/lib.rs",
                    "pub mod config;\npub mod plan;\npub mod execute;\npub mod cli;\n",
                ),
                ("src/config.rs", "use crate::cli::Args;\n"),
                ("src/plan/mod.rs", "pub mod x;\n"),
                (
                    "src/plan/x.rs",
                    "use crate::execute::y::Run;\nuse crate::config::Config;\n",
                ),
                ("src/execute/mod.rs", "pub mod y;\n"),
                ("src/execute/y.rs", "use crate::plan::x;\n"),
                ("src/cli.rs", "use crate::execute::y;\n"),
            ]),
        );
        assert_eq!(
            problems,
            [
                "crates/workbench/src/config.rs (stage config) imports crate::cli (stage top)",
                "crates/workbench/src/plan/x.rs (stage plan) \
                 imports crate::execute::y (stage execute)",
            ]
        );
    }

    #[test]
    fn a_clean_tree_passes() {
        let files = tree(&[
            (
                "src/lib.rs",
                "pub mod config;\npub mod report;\npub mod cli;\npub use cli::main;\n",
            ),
            ("src/config.rs", "pub struct Config;\n"),
            ("src/report.rs", "use crate::config::Config;\n"),
            (
                "src/cli.rs",
                "use crate::{config::Config, report};\npub fn main() {}\n",
            ),
        ]);
        assert!(cycle_problems("demo", &files).is_empty());
        assert!(stage_problems("crates/workbench", &files).is_empty());
        assert!(size_problems("crates/demo", &files).is_empty());
    }

    #[test]
    fn size_counts_code_outside_tests_unless_a_reason_is_given() {
        let code = "fn f() {}\n\n// note\n".repeat(MAX_CODE_LINES + 1);
        let long = format!("//! A file.\n{code}");
        let reasoned = format!("//! A file.\n//! size: one table, kept together\n{code}");
        let at_limit = format!(
            "{}#[cfg(test)]\nmod tests {{\n{code}}}\n",
            "fn f() {}\n".repeat(MAX_CODE_LINES)
        );
        let files = tree(&[
            ("src/long.rs", &long),
            ("src/reasoned.rs", &reasoned),
            ("src/at_limit.rs", &at_limit),
            ("src/tests.rs", &long),
            ("src/a/tests/helpers.rs", &long),
        ]);
        assert_eq!(
            size_problems("crates/demo", &files),
            ["crates/demo/src/long.rs: 601 lines of code outside tests \
              (limit 600; state a reason with `size:` in its first lines)"]
        );
    }
}
