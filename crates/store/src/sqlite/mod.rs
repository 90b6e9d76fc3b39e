//! The SQLite engine: rusqlite connections behind sea-orm's proxy interface (`lite`), the one
//! writer thread that commits the process's writes in groups (`writer`), and the checkpointer
//! (`checkpoint`).

pub(crate) mod checkpoint;
pub(crate) mod lite;
pub(crate) mod writer;
