public import Logging

extension Logger.MetadataProvider {
    /// Writes the current task's ``LogContext`` as metadata (`request_id`, `tenant_id`, …).
    ///
    /// `Keel.bootstrap` installs it as the system provider, so loggers of every handler see the ids. Keel's own
    /// handler reads the context directly (no dictionary per call); while it does, this provider returns nothing so
    /// that the ids are not read twice. Combine it with another provider, e.g. swift-otel's, through
    /// `.multiplex([.keel, OTel.makeLoggingMetadataProvider()])`: later providers win, so the active span's
    /// `trace_id`/`span_id` replace the context's.
    public static let keel = Logger.MetadataProvider {
        if EncodeScratch.isReadingProvider { return [:] }
        let context = LogContext.current
        if context.isEmpty { return [:] }
        var metadata: Logger.Metadata = [:]
        context.forEachField { field, value in metadata[FieldCatalogue.spec(field).name] = .string(value) }
        return metadata
    }
}
