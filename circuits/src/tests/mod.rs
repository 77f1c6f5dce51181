//! Tests of the whole circuit: the shared harness on small models, exhaustive small-domain
//! checks of the requant chip, and the spec against synthesis.
mod batch;
mod builders;
mod exhaustive_ops;
mod forgery;
mod freivalds;
mod harness;
mod hashed;
mod multi_dot;
mod real_prover;
mod requant_exhaustive;
mod spec;
