//! How an error reads on the command line.

/// An error and its causes on one line, like `{e:#}`, but a cause whose
/// text the line already holds (an I/O error its wrapper quoted) is not
/// repeated.
pub fn message(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line += ": ";
        }
        line += &text;
    }
    line
}

#[cfg(test)]
mod tests {
    #[test]
    fn causes_already_quoted_are_not_repeated() {
        let io = std::io::Error::other("not a regular file");
        let e = anyhow::Error::new(io)
            .context("x.npy: not a regular file")
            .context("data \"npy\"");
        assert_eq!(
            super::message(&e),
            "data \"npy\": x.npy: not a regular file"
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(super::message(&plain), "outer: inner");
    }
}
