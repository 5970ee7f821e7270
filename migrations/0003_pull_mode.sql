ALTER TABLE `clinics` ADD `pull_visibility_seconds` integer DEFAULT 60 NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `pull_retention_seconds` integer DEFAULT 604800 NOT NULL;