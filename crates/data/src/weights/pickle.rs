//! The subset of Python's pickle machine that `torch.save` uses for state
//! dicts (protocols 2 to 5): dicts, lists, tuples, strings, numbers, the
//! persistent ids that point at tensor storages, and the few globals that
//! rebuild tensors and ordered dicts. Nothing is ever executed: an unknown
//! global reduces to an opaque object, which is fine as long as no tensor
//! hangs off it.
//!
//! The input is hostile: every read is bounds-checked, the stack and memo
//! are bounded by the bytes read (each push consumes at least one opcode),
//! and shared values (strings, tuples) are reference-counted so a memo
//! fetched many times costs nothing.

use std::collections::HashMap;
use std::rc::Rc;

/// A pickled value. Lists and dicts live in an arena so that the memo and
/// the stack share them, as Python's objects are shared. Some payloads are
/// only ever shown, through Debug, in error messages.
#[allow(dead_code)]
#[derive(Clone, Debug)]
pub(super) enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// An integer too large for i64 (the legacy format's magic number),
    /// as its little-endian two's-complement bytes.
    BigInt(Rc<[u8]>),
    Float(f64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Tuple(Rc<[Value]>),
    List(usize),
    Dict(usize),
    Global(Rc<str>, Rc<str>),
    /// What a persistent id named: torch's storage tuple, kept as is.
    Persistent(Rc<Value>),
    /// A tensor rebuilt by torch._utils._rebuild_tensor(_v2).
    Tensor(Rc<TensorRef>),
    /// The result of calling a global geotraj does not interpret.
    Object(Rc<str>),
    Mark,
}

/// A tensor as torch pickles it: a view into a storage.
#[derive(Debug)]
pub(super) struct TensorRef {
    /// The storage's persistent id (a tuple beginning with "storage").
    pub storage: Rc<Value>,
    pub offset: u64,
    pub shape: Vec<u64>,
    pub stride: Vec<u64>,
}

/// Lists and dicts, indexed by `Value::List` / `Value::Dict`.
#[derive(Default, Debug)]
pub(super) struct Arena {
    pub lists: Vec<Vec<Value>>,
    pub dicts: Vec<Vec<(Value, Value)>>,
}

/// A pickle error: the byte offset within the pickle and what was expected.
#[derive(Debug)]
pub(super) struct PickleError {
    pub at: usize,
    pub expected: String,
}

fn fail<T>(at: usize, expected: impl Into<String>) -> Result<T, PickleError> {
    Err(PickleError {
        at,
        expected: expected.into(),
    })
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        match end {
            Some(e) => {
                let s = &self.b[self.at..e];
                self.at = e;
                Ok(s)
            }
            None => fail(
                self.b.len(),
                format!("{n} more bytes of the pickle, found its end"),
            ),
        }
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn le(&mut self, n: usize) -> Result<u64, PickleError> {
        let s = self.take(n)?;
        Ok(s.iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }

    /// A length prefix, checked against the bytes left.
    fn len(&mut self, width: usize) -> Result<usize, PickleError> {
        let at = self.at;
        let n = self.le(width)?;
        let left = (self.b.len() - self.at) as u64;
        if n > left {
            return fail(
                at,
                format!("a length within the {left} bytes left, found {n}"),
            );
        }
        Ok(n as usize)
    }

    fn line(&mut self) -> Result<&'a str, PickleError> {
        let start = self.at;
        let Some(nl) = self.b[start..].iter().position(|&c| c == b'\n') else {
            return fail(start, "a newline-terminated name, found the pickle's end");
        };
        self.at = start + nl + 1;
        std::str::from_utf8(&self.b[start..start + nl]).map_err(|_| PickleError {
            at: start,
            expected: "an ASCII name".into(),
        })
    }
}

fn utf8(at: usize, s: &[u8]) -> Result<Rc<str>, PickleError> {
    match std::str::from_utf8(s) {
        Ok(s) => Ok(s.into()),
        Err(_) => fail(at, "a UTF-8 string"),
    }
}

/// Reads one pickle from the start of `bytes`. Returns the value, the
/// arena holding its lists and dicts, and how many bytes it took.
pub(super) fn load(bytes: &[u8]) -> Result<(Value, Arena, usize), PickleError> {
    let mut r = Reader { b: bytes, at: 0 };
    let mut stack: Vec<Value> = Vec::new();
    let mut memo: HashMap<u64, Value> = HashMap::new();
    let mut arena = Arena::default();
    loop {
        let at = r.at;
        let op = r.u8()?;
        let pop = |stack: &mut Vec<Value>| -> Result<Value, PickleError> {
            match stack.pop() {
                Some(Value::Mark) | None => {
                    fail(at, format!("a value on the stack for opcode 0x{op:02x}"))
                }
                Some(v) => Ok(v),
            }
        };
        // Everything down to the topmost mark, in push order.
        let pop_mark = |stack: &mut Vec<Value>| -> Result<Vec<Value>, PickleError> {
            match stack.iter().rposition(|v| matches!(v, Value::Mark)) {
                Some(m) => {
                    let items = stack.split_off(m + 1);
                    stack.pop();
                    Ok(items)
                }
                None => fail(at, format!("a MARK before opcode 0x{op:02x}")),
            }
        };
        match op {
            0x80 => {
                let v = r.u8()?;
                if v > 5 {
                    return fail(at, format!("pickle protocol 0 to 5, found {v}"));
                }
            }
            0x95 => {
                r.take(8)?;
            } // FRAME: a length hint only.
            b'.' => {
                let v = pop(&mut stack)?;
                return Ok((v, arena, r.at));
            }
            b'(' => stack.push(Value::Mark),
            b'N' => stack.push(Value::None),
            0x88 => stack.push(Value::Bool(true)),
            0x89 => stack.push(Value::Bool(false)),
            b'J' => stack.push(Value::Int(r.le(4)? as u32 as i32 as i64)),
            b'K' => stack.push(Value::Int(r.le(1)? as i64)),
            b'M' => stack.push(Value::Int(r.le(2)? as i64)),
            0x8a | 0x8b => {
                let n = r.len(if op == 0x8a { 1 } else { 4 })?;
                let s = r.take(n)?;
                if n <= 8 {
                    let mut v: i64 = 0;
                    for (i, &x) in s.iter().enumerate() {
                        v |= i64::from(x) << (8 * i);
                    }
                    // Sign-extend from the top bit of the last byte.
                    if n > 0 && n < 8 && s[n - 1] & 0x80 != 0 {
                        v |= -1i64 << (8 * n);
                    }
                    stack.push(Value::Int(v));
                } else {
                    stack.push(Value::BigInt(s.into()));
                }
            }
            b'G' => stack.push(Value::Float(f64::from_be_bytes(
                r.take(8)?.try_into().expect("8 bytes"),
            ))),
            b'X' | 0x8c | 0x8d => {
                let n = r.len(match op {
                    b'X' => 4,
                    0x8c => 1,
                    _ => 8,
                })?;
                let s = r.take(n)?;
                stack.push(Value::Str(utf8(at, s)?));
            }
            b'B' | b'C' | 0x8e | b'T' | b'U' => {
                let n = r.len(match op {
                    b'B' | b'T' => 4,
                    0x8e => 8,
                    _ => 1,
                })?;
                stack.push(Value::Bytes(r.take(n)?.into()));
            }
            b')' => stack.push(Value::Tuple(Rc::new([]))),
            b't' => {
                let items = pop_mark(&mut stack)?;
                stack.push(Value::Tuple(items.into()));
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                if stack.len() < n
                    || stack[stack.len() - n..]
                        .iter()
                        .any(|v| matches!(v, Value::Mark))
                {
                    return fail(at, format!("{n} values on the stack for TUPLE{n}"));
                }
                let items = stack.split_off(stack.len() - n);
                stack.push(Value::Tuple(items.into()));
            }
            b']' | b'l' => {
                let items = if op == b'l' {
                    pop_mark(&mut stack)?
                } else {
                    Vec::new()
                };
                arena.lists.push(items);
                stack.push(Value::List(arena.lists.len() - 1));
            }
            b'}' | b'd' => {
                let items = if op == b'd' {
                    pop_mark(&mut stack)?
                } else {
                    Vec::new()
                };
                let pairs = pairs(at, items)?;
                arena.dicts.push(pairs);
                stack.push(Value::Dict(arena.dicts.len() - 1));
            }
            0x8f => {
                // EMPTY_SET: kept as a list; sets never hold tensors in a state dict.
                arena.lists.push(Vec::new());
                stack.push(Value::List(arena.lists.len() - 1));
            }
            b'a' => {
                let v = pop(&mut stack)?;
                append(&mut arena, stack.last(), vec![v]);
            }
            b'e' | 0x90 => {
                let items = pop_mark(&mut stack)?;
                append(&mut arena, stack.last(), items);
            }
            b's' => {
                let v = pop(&mut stack)?;
                let k = pop(&mut stack)?;
                set_items(&mut arena, stack.last(), vec![(k, v)]);
            }
            b'u' => {
                let items = pop_mark(&mut stack)?;
                let pairs = pairs(at, items)?;
                set_items(&mut arena, stack.last(), pairs);
            }
            b'q' | b'r' | 0x94 => {
                let key = match op {
                    b'q' => r.le(1)?,
                    b'r' => r.le(4)?,
                    _ => memo.len() as u64,
                };
                let Some(top) = stack.last() else {
                    return fail(at, "a value on the stack to memoize");
                };
                memo.insert(key, top.clone());
            }
            b'h' | b'j' => {
                let key = r.le(if op == b'h' { 1 } else { 4 })?;
                match memo.get(&key) {
                    Some(v) => stack.push(v.clone()),
                    None => return fail(at, format!("memo entry {key}, found none")),
                }
            }
            b'c' => {
                let module = r.line()?;
                let name = r.line()?;
                stack.push(Value::Global(module.into(), name.into()));
            }
            0x93 => {
                let name = pop(&mut stack)?;
                let module = pop(&mut stack)?;
                match (module, name) {
                    (Value::Str(m), Value::Str(n)) => stack.push(Value::Global(m, n)),
                    _ => return fail(at, "two strings (module, name) for STACK_GLOBAL"),
                }
            }
            b'Q' => {
                let pid = pop(&mut stack)?;
                stack.push(Value::Persistent(Rc::new(pid)));
            }
            b'R' | 0x81 => {
                let args = pop(&mut stack)?;
                let callable = pop(&mut stack)?;
                stack.push(reduce(at, &mut arena, callable, args)?);
            }
            b'b' => {
                // BUILD: the state of an object; tensors never hang off it in a state dict.
                pop(&mut stack)?;
                if stack.is_empty() {
                    return fail(at, "an object under BUILD's state");
                }
            }
            b'0' => {
                pop(&mut stack)?;
            }
            b'1' => {
                pop_mark(&mut stack)?;
            }
            b'2' => match stack.last() {
                Some(v) if !matches!(v, Value::Mark) => stack.push(v.clone()),
                _ => return fail(at, "a value to DUP"),
            },
            _ => {
                return fail(
                    at,
                    format!("a pickle opcode of torch.save's state dicts, found 0x{op:02x}"),
                );
            }
        }
    }
}

fn pairs(at: usize, items: Vec<Value>) -> Result<Vec<(Value, Value)>, PickleError> {
    if !items.len().is_multiple_of(2) {
        return fail(at, "key-value pairs, found an odd number of items");
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Ok(out)
}

fn append(arena: &mut Arena, target: Option<&Value>, items: Vec<Value>) {
    if let Some(Value::List(i)) = target {
        arena.lists[*i].extend(items);
    }
}

fn set_items(arena: &mut Arena, target: Option<&Value>, items: Vec<(Value, Value)>) {
    if let Some(Value::Dict(i)) = target {
        arena.dicts[*i].extend(items);
    }
}

fn uint(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        _ => None,
    }
}

fn uints(at: usize, v: &Value, what: &str) -> Result<Vec<u64>, PickleError> {
    let Value::Tuple(items) = v else {
        return fail(
            at,
            format!("a tuple of non-negative integers for the tensor's {what}"),
        );
    };
    items
        .iter()
        .map(|x| {
            uint(x).ok_or_else(|| PickleError {
                at,
                expected: format!("non-negative integers in the tensor's {what}, found {x:?}"),
            })
        })
        .collect()
}

/// Calls a global: the tensor and ordered-dict constructors are understood,
/// everything else becomes an opaque object.
fn reduce(
    at: usize,
    arena: &mut Arena,
    callable: Value,
    args: Value,
) -> Result<Value, PickleError> {
    let Value::Global(module, name) = &callable else {
        return Ok(Value::Object("a call of a non-global".into()));
    };
    let args: Rc<[Value]> = match args {
        Value::Tuple(t) => t,
        _ => Rc::new([]),
    };
    match (&**module, &**name) {
        ("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor" | "_rebuild_tensor_v3") => {
            let (Some(Value::Persistent(storage)), Some(offset), Some(size), Some(stride)) =
                (args.first(), args.get(1), args.get(2), args.get(3))
            else {
                return fail(at, format!("(storage, offset, size, stride) for {name}"));
            };
            let offset = uint(offset).ok_or_else(|| PickleError {
                at,
                expected: "a non-negative storage offset".into(),
            })?;
            let shape = uints(at, size, "size")?;
            let stride = uints(at, stride, "stride")?;
            if shape.len() != stride.len() {
                return fail(
                    at,
                    format!(
                        "as many strides as dimensions, found {} and {}",
                        stride.len(),
                        shape.len()
                    ),
                );
            }
            Ok(Value::Tensor(Rc::new(TensorRef {
                storage: storage.clone(),
                offset,
                shape,
                stride,
            })))
        }
        ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state") => {
            Ok(args.first().cloned().unwrap_or(Value::None))
        }
        ("collections", "OrderedDict") | ("builtins", "dict") | ("__builtin__", "dict") => {
            arena.dicts.push(Vec::new());
            Ok(Value::Dict(arena.dicts.len() - 1))
        }
        _ => Ok(Value::Object(format!("{module}.{name}").into())),
    }
}

#[cfg(test)]
pub(super) mod write {
    //! A tiny pickle writer for tests: protocol 2, the opcodes torch.save emits.

    pub fn proto() -> Vec<u8> {
        vec![0x80, 2]
    }
    pub fn global(out: &mut Vec<u8>, module: &str, name: &str) {
        out.push(b'c');
        out.extend_from_slice(format!("{module}\n{name}\n").as_bytes());
    }
    pub fn str(out: &mut Vec<u8>, s: &str) {
        out.push(b'X');
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    pub fn int(out: &mut Vec<u8>, v: u32) {
        out.push(b'J');
        out.extend_from_slice(&v.to_le_bytes());
    }
    pub fn tuple(out: &mut Vec<u8>, items: &[u32]) {
        out.push(b'(');
        for &i in items {
            int(out, i);
        }
        out.push(b't');
    }
}

#[cfg(test)]
mod tests {
    use super::write::*;
    use super::*;

    #[test]
    fn scalars_containers_and_memo() {
        let mut p = proto();
        p.push(b'}');
        p.extend_from_slice(&[b'q', 0, b'(']);
        str(&mut p, "a");
        p.extend_from_slice(&[b'K', 7]);
        str(&mut p, "b");
        p.push(b']');
        p.extend_from_slice(&[b'q', 1, b'(']);
        p.extend_from_slice(&[0x8a, 1, 0xff, 0x88, b'N']);
        p.extend_from_slice(b"eu");
        str(&mut p, "c");
        p.extend_from_slice(&[b'h', 1, b's', b'.']);
        let (v, arena, used) = load(&p).unwrap();
        assert_eq!(used, p.len());
        let Value::Dict(d) = v else { panic!("{v:?}") };
        let d = &arena.dicts[d];
        assert_eq!(d.len(), 3);
        assert!(matches!(d[0].1, Value::Int(7)));
        // The memoised list is the same list: it holds what was appended.
        let (Value::List(l1), Value::List(l2)) = (&d[1].1, &d[2].1) else {
            panic!()
        };
        assert_eq!(l1, l2);
        assert!(matches!(arena.lists[*l1][0], Value::Int(-1)));
        assert_eq!(arena.lists[*l1].len(), 3);
    }

    #[test]
    fn rebuilds_a_tensor() {
        let mut p = proto();
        global(&mut p, "torch._utils", "_rebuild_tensor_v2");
        p.push(b'(');
        p.push(b'(');
        str(&mut p, "storage");
        global(&mut p, "torch", "FloatStorage");
        str(&mut p, "0");
        str(&mut p, "cpu");
        int(&mut p, 6);
        p.extend_from_slice(b"tQ");
        int(&mut p, 0);
        tuple(&mut p, &[2, 3]);
        tuple(&mut p, &[3, 1]);
        p.push(0x89);
        global(&mut p, "collections", "OrderedDict");
        p.extend_from_slice(b")RtR.");
        let (v, _, _) = load(&p).unwrap();
        let Value::Tensor(t) = v else { panic!("{v:?}") };
        assert_eq!(t.shape, [2, 3]);
        assert_eq!(t.stride, [3, 1]);
    }

    #[test]
    fn hostile_pickles_fail_with_an_offset() {
        for (bytes, want) in [
            (&b"\x80\x02"[..], "found its end"),
            (b"\x80\x09.", "protocol"),
            (b"\x80\x02X\xff\xff\xff\x7f", "bytes left"),
            (b"\x80\x02h\x05.", "memo entry 5"),
            (b"\x80\x02.", "a value on the stack"),
            (b"\x80\x02t.", "a MARK"),
            (b"\x80\x02\x00", "found 0x00"),
            (b"\x80\x02K\x01K\x02\x86\x86.", "TUPLE2"),
        ] {
            let e = load(bytes).unwrap_err();
            assert!(e.expected.contains(want), "{:?}: {}", bytes, e.expected);
            assert!(e.at <= bytes.len());
        }
    }
}
