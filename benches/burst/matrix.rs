pub async fn run(_members: usize) -> anyhow::Result<crate::report::Report> {
    anyhow::bail!("Matrix mode: see benches/burst/matrix.rs")
}
