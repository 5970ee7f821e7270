ALTER TABLE `clinics` ADD `signing_secret_next` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `retention_days` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `disabled_at` integer;--> statement-breakpoint
ALTER TABLE `events` ADD `redacted_at` integer;--> statement-breakpoint
ALTER TABLE `quarantine` ADD `reingested_at` integer;--> statement-breakpoint
ALTER TABLE `quarantine` ADD `reingested_event_id` text;