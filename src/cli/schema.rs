use super::{exit, fail};
use clap::Args;

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// A kind (`VirtualService`), `group/version/Kind`, or a schema file name, or one of meshctl's
    /// own files' (`meshctl-config`, `meshctl-test-cases`, `meshctl-lint-output`); lists them when
    /// absent.
    pub kind: Option<String>,
}

pub fn run(a: SchemaArgs) -> u8 {
    match a.kind {
        None => {
            for n in crate::schema::schema_names().into_iter().chain(crate::schema::own_schema_names()) {
                println!("{n}");
            }
            exit::OK
        }
        Some(k) => match crate::schema::own_schema_text(&k).or_else(|| crate::schema::schema_text(&k)) {
            Some(t) => {
                println!("{}", t.trim_end());
                exit::OK
            }
            None => fail(format!("no schema for `{k}` (run `meshctl schema` to list them)")),
        },
    }
}
