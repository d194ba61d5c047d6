"""Typed record classes for the IAPT v2.1 tables.

GENERATED from spec/iapt-v2.1/ by scripts/generate.py: do not edit by hand.
Attribute names are the IDB column names. A date field holds a ``datetime.date`` (a
``datetime.datetime`` when the submission gave a time of day).
The tables this version leaves as they were are the earlier version's classes, imported:
only the changed and new tables are defined here.
"""

from __future__ import annotations

import datetime
from decimal import Decimal  # noqa: F401  (the type of any decimal field)

import attrs

from .v2_0 import (  # unchanged in v2.1
    IDS000Header,
    IDS007DisabilityType,
    IDS011SocPerCircumstances,
    IDS012OverseasVisitorChargCat,
    IDS108WaitingTimePauses,
    IDS205InternetTherLog,
    IDS606CodedScoreAssessmentRefer,
    IDS607CodedScoreAssessmentAct,
    IDS803CareCluster,
    IDS902CarePersQual,
)

__all__ = [
    "IDS000Header",
    "IDS001MPI",
    "IDS002GP",
    "IDS003AccommStatus",
    "IDS004EmpStatus",
    "IDS007DisabilityType",
    "IDS011SocPerCircumstances",
    "IDS012OverseasVisitorChargCat",
    "IDS101Referral",
    "IDS105OnwardReferral",
    "IDS108WaitingTimePauses",
    "IDS201CareContact",
    "IDS202CareActivity",
    "IDS205InternetTherLog",
    "IDS601MedHistPrevDiag",
    "IDS602LongTermCondition",
    "IDS603PresentingComplaints",
    "IDS606CodedScoreAssessmentRefer",
    "IDS607CodedScoreAssessmentAct",
    "IDS803CareCluster",
    "IDS902CarePersQual",
    "RECORD_CLASSES",
]


@attrs.frozen(slots=True)
class IDS001MPI:
    """IDS001: Master patient index: identity and demographics (one row per patient)."""

    LocalPatientId: str | None = attrs.field(default=None, metadata={"item": 'LOCAL PATIENT IDENTIFIER (EXTENDED)', "uid": 'I001901'})
    OrgIDLocalPatientId: str | None = attrs.field(default=None, metadata={"item": 'ORGANISATION IDENTIFIER (LOCAL PATIENT IDENTIFIER)', "uid": 'I001170'})
    NHSNumber: str | None = attrs.field(default=None, metadata={"item": 'NHS NUMBER', "uid": 'I001040'})
    NHSNumberStatus: str | None = attrs.field(default=None, metadata={"item": 'NHS NUMBER STATUS INDICATOR CODE (MENTAL HEALTH AND MATERNITY)', "uid": 'I001050'})
    PersonBirthDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'PERSON BIRTH DATE', "uid": 'I001060'})
    Postcode: str | None = attrs.field(default=None, metadata={"item": 'POSTCODE OF USUAL ADDRESS', "uid": 'I001070'})
    Gender: str | None = attrs.field(default=None, metadata={"item": 'PERSON STATED GENDER CODE', "uid": 'I001090'})
    GenderIdentity: str | None = attrs.field(default=None, metadata={"item": 'GENDER IDENTITY CODE', "uid": 'I001160'})
    GenderIdentitySameAtBirth: str | None = attrs.field(default=None, metadata={"item": 'GENDER IDENTITY SAME AT BIRTH INDICATOR', "uid": 'I001210'})
    EthnicCategory: str | None = attrs.field(default=None, metadata={"item": 'ETHNIC CATEGORY', "uid": 'I001100'})
    EthnicCategory2021: str | None = attrs.field(default=None, metadata={"item": 'ETHNIC CATEGORY 2021', "uid": 'I001150'})
    ExBAFIndicator: str | None = attrs.field(default=None, metadata={"item": 'EX-BRITISH ARMED FORCES INDICATOR', "uid": 'I001140'})
    LanguageCodePreferred: str | None = attrs.field(default=None, metadata={"item": 'LANGUAGE CODE (PREFERRED)', "uid": 'I001120'})
    EduEstabTypeIAPT: str | None = attrs.field(default=None, metadata={"item": 'EDUCATIONAL ESTABLISHMENT TYPE (IMPROVING ACCESS TO PSYCHOLOGICAL THERAPIES)', "uid": 'I001130'})


@attrs.frozen(slots=True)
class IDS002GP:
    """IDS002: GP practice registration (one row per GP registration)."""

    LocalPatientId: str | None = attrs.field(default=None, metadata={"item": 'LOCAL PATIENT IDENTIFIER (EXTENDED)', "uid": 'I002901'})
    GMPCodeReg: str | None = attrs.field(default=None, metadata={"item": 'GENERAL MEDICAL PRACTICE CODE (PATIENT REGISTRATION)', "uid": 'I002010'})
    StartDateGMPRegistration: datetime.date | None = attrs.field(default=None, metadata={"item": 'START DATE (GMP PATIENT REGISTRATION)', "uid": 'I002020'})
    EndDateGMPRegistration: datetime.date | None = attrs.field(default=None, metadata={"item": 'END DATE (GMP PATIENT REGISTRATION)', "uid": 'I002030'})


@attrs.frozen(slots=True)
class IDS003AccommStatus:
    """IDS003: Accommodation status (one row per accommodation status record)."""

    LocalPatientId: str | None = attrs.field(default=None, metadata={"item": 'LOCAL PATIENT IDENTIFIER (EXTENDED)', "uid": 'I003901'})
    AccommodationType: str | None = attrs.field(default=None, metadata={"item": 'ACCOMMODATION TYPE', "uid": 'I003010'})
    SettledAccommodationInd: str | None = attrs.field(default=None, metadata={"item": 'SETTLED ACCOMMODATION INDICATOR', "uid": 'I003020'})
    AccommodationTypeDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'ACCOMMODATION TYPE RECORDED DATE', "uid": 'I003030'})
    AccommodationTypeStartDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'ACCOMMODATION TYPE START DATE', "uid": 'I003040'})
    AccommodationTypeEndDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'ACCOMMODATION TYPE END DATE', "uid": 'I003050'})


@attrs.frozen(slots=True)
class IDS004EmpStatus:
    """IDS004: Employment and benefit status (one row per status record)."""

    LocalPatientId: str | None = attrs.field(default=None, metadata={"item": 'LOCAL PATIENT IDENTIFIER (EXTENDED)', "uid": 'I004901'})
    EmployStatus: str | None = attrs.field(default=None, metadata={"item": 'EMPLOYMENT STATUS', "uid": 'I004010'})
    EmployStatusRecDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'EMPLOYMENT STATUS RECORDED DATE', "uid": 'I004020'})
    WeekHoursWorked: str | None = attrs.field(default=None, metadata={"item": 'WEEKLY HOURS WORKED', "uid": 'I004030'})
    SelfEmployInd: str | None = attrs.field(default=None, metadata={"item": 'SELF EMPLOYED INDICATOR', "uid": 'I004040'})
    SickAbsenceInd: str | None = attrs.field(default=None, metadata={"item": 'SICKNESS ABSENCE INDICATOR', "uid": 'I004050'})
    SSPInd: str | None = attrs.field(default=None, metadata={"item": 'STATUTORY SICK PAY RECEIPT INDICATOR', "uid": 'I004080'})
    BenefitRecInd: str | None = attrs.field(default=None, metadata={"item": 'BENEFIT RECEIPT INDICATOR (IMPROVING ACCESS TO PSYCHOLOGICAL THERAPIES)', "uid": 'I004090'})
    ESAInd: str | None = attrs.field(default=None, metadata={"item": 'EMPLOYMENT AND SUPPORT ALLOWANCE RECEIPT INDICATOR', "uid": 'I004110'})
    UCInd: str | None = attrs.field(default=None, metadata={"item": 'UNIVERSAL CREDIT RECEIPT INDICATOR', "uid": 'I004120'})
    PIPInd: str | None = attrs.field(default=None, metadata={"item": 'PERSONAL INDEPENDENCE PAYMENT RECEIPT INDICATOR', "uid": 'I004130'})
    EmpSupportInd: str | None = attrs.field(default=None, metadata={"item": 'EMPLOYMENT SUPPORT SUITABILITY INDICATOR', "uid": 'I004060'})
    EmpSupportReferral: datetime.date | None = attrs.field(default=None, metadata={"item": 'EMPLOYMENT SUPPORT REFERRAL DATE', "uid": 'I004070'})
    EmpSupportDischargeDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'DISCHARGE DATE (EMPLOYMENT SUPPORT)', "uid": 'I004150'})


@attrs.frozen(slots=True)
class IDS101Referral:
    """IDS101: Service request (referral) to IAPT (one row per referral)."""

    ServiceRequestId: str | None = attrs.field(default=None, metadata={"item": 'SERVICE REQUEST IDENTIFIER', "uid": 'I101902'})
    LocalPatientId: str | None = attrs.field(default=None, metadata={"item": 'LOCAL PATIENT IDENTIFIER (EXTENDED)', "uid": 'I101901'})
    OrgIDComm: str | None = attrs.field(default=None, metadata={"item": 'ORGANISATION IDENTIFIER (CODE OF COMMISSIONER)', "uid": 'I101922'})
    ReferralRequestReceivedDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'REFERRAL REQUEST RECEIVED DATE', "uid": 'I101010'})
    SourceOfReferralIAPT: str | None = attrs.field(default=None, metadata={"item": 'SOURCE OF REFERRAL FOR IMPROVING ACCESS TO PSYCHOLOGICAL THERAPIES', "uid": 'I101030'})
    OnsetDate: str | None = attrs.field(default=None, metadata={"item": 'YEAR AND MONTH OF SYMPTOMS ONSET (IMPROVING ACCESS TO PSYCHOLOGICAL THERAPIES)', "uid": 'I101230'})
    PrevDiagCondInd: str | None = attrs.field(default=None, metadata={"item": 'PREVIOUS DIAGNOSED CONDITION INDICATOR', "uid": 'I101240'})
    EndCode: str | None = attrs.field(default=None, metadata={"item": 'DISCHARGE FROM IMPROVING ACCESS TO PSYCHOLOGICAL THERAPIES SERVICE REASON', "uid": 'I101250'})
    ServDischDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'SERVICE DISCHARGE DATE', "uid": 'I101090'})


@attrs.frozen(slots=True)
class IDS105OnwardReferral:
    """IDS105: Onward referrals (one row per onward referral)."""

    ServiceRequestId: str | None = attrs.field(default=None, metadata={"item": 'SERVICE REQUEST IDENTIFIER', "uid": 'I105902'})
    OnwardReferDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'ONWARD REFERRAL DATE', "uid": 'I105010'})
    OnwardReferTime: datetime.time | None = attrs.field(default=None, metadata={"item": 'ONWARD REFERRAL TIME', "uid": 'I105060'})
    OnwardReferReason: str | None = attrs.field(default=None, metadata={"item": 'ONWARD REFERRAL REASON (IMPROVING ACCESS TO PSYCHOLOGICAL THERAPIES)', "uid": 'I105020'})
    OrgIDReceiving: str | None = attrs.field(default=None, metadata={"item": 'ORGANISATION IDENTIFIER (RECEIVING)', "uid": 'I105090'})


@attrs.frozen(slots=True)
class IDS201CareContact:
    """IDS201: Care contacts (appointments) (one row per contact)."""

    CareContactId: str | None = attrs.field(default=None, metadata={"item": 'CARE CONTACT IDENTIFIER', "uid": 'I201903'})
    ServiceRequestId: str | None = attrs.field(default=None, metadata={"item": 'SERVICE REQUEST IDENTIFIER', "uid": 'I201902'})
    CareContDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'CARE CONTACT DATE', "uid": 'I201010'})
    CareContTime: datetime.time | None = attrs.field(default=None, metadata={"item": 'CARE CONTACT TIME', "uid": 'I201020'})
    OrgIDComm: str | None = attrs.field(default=None, metadata={"item": 'ORGANISATION IDENTIFIER (CODE OF COMMISSIONER)', "uid": 'I201922'})
    PlannedCareContIndicator: str | None = attrs.field(default=None, metadata={"item": 'PLANNED CARE CONTACT INDICATOR', "uid": 'I201280'})
    AttendOrDNACode: str | None = attrs.field(default=None, metadata={"item": 'ATTENDED OR DID NOT ATTEND CODE', "uid": 'I201090'})
    Cancellation: str | None = attrs.field(default=None, metadata={"item": 'APPOINTMENT SLOT SHORT NOTICE CANCELLATION INDICATOR', "uid": 'I201200'})
    ClinContDurOfCareCont: int | None = attrs.field(default=None, metadata={"item": 'CLINICAL CONTACT DURATION OF CARE CONTACT', "uid": 'I201040'})
    IAPTLTCServiceInd: str | None = attrs.field(default=None, metadata={"item": 'INTEGRATED IMPROVING ACCESS TO PSYCHOLOGICAL THERAPIES LONG TERM CONDITION SERVICE INDICATOR', "uid": 'I201290'})
    AppType: str | None = attrs.field(default=None, metadata={"item": 'APPOINTMENT TYPE (IMPROVING ACCESS TO PSYCHOLOGICAL THERAPIES)', "uid": 'I201210'})
    ConsMechanism: str | None = attrs.field(default=None, metadata={"item": 'CONSULTATION MECHANISM (MENTAL HEALTH)', "uid": 'I201070'})
    IntEnabledTherProg: str | None = attrs.field(default=None, metadata={"item": 'INTERNET ENABLED THERAPY PROGRAMME', "uid": 'I201270'})
    CareContPatientTherMode: str | None = attrs.field(default=None, metadata={"item": 'CARE CONTACT PATIENT THERAPY MODE', "uid": 'I201080'})
    NumGroupTherParticipants: int | None = attrs.field(default=None, metadata={"item": 'NUMBER OF GROUP THERAPY PARTICIPANTS', "uid": 'I201220'})
    NumGroupTherFacilitators: int | None = attrs.field(default=None, metadata={"item": 'NUMBER OF GROUP THERAPY FACILITATORS', "uid": 'I201230'})
    PsychMed: str | None = attrs.field(default=None, metadata={"item": 'PSYCHOTROPIC MEDICATION USAGE INDICATION CODE', "uid": 'I201240'})
    ActLocTypeCode: str | None = attrs.field(default=None, metadata={"item": 'ACTIVITY LOCATION TYPE CODE', "uid": 'I201909'})
    SiteIDOfTreat: str | None = attrs.field(default=None, metadata={"item": 'ORGANISATION SITE IDENTIFIER (OF TREATMENT)', "uid": 'I201921'})
    LanguageCodeTreat: str | None = attrs.field(default=None, metadata={"item": 'LANGUAGE CODE (TREATMENT)', "uid": 'I201250'})
    InterpreterPresentInd: str | None = attrs.field(default=None, metadata={"item": 'INTERPRETER PRESENT AT CARE CONTACT INDICATION CODE', "uid": 'I201260'})


@attrs.frozen(slots=True)
class IDS202CareActivity:
    """IDS202: Care activities within a contact: therapy type (SNOMED procedure), findings, observations, care personnel (one row per activity)."""

    CareActId: str | None = attrs.field(default=None, metadata={"item": 'CARE ACTIVITY IDENTIFIER', "uid": 'I202904'})
    CareContactId: str | None = attrs.field(default=None, metadata={"item": 'CARE CONTACT IDENTIFIER', "uid": 'I202903'})
    CarePersLocalId: str | None = attrs.field(default=None, metadata={"item": 'CARE PERSONNEL LOCAL IDENTIFIER', "uid": 'I202920'})
    ClinContactDurOfCareAct: int | None = attrs.field(default=None, metadata={"item": 'CLINICAL CONTACT DURATION OF CARE ACTIVITY', "uid": 'I202020'})
    CodeProcAndProcStatus: str | None = attrs.field(default=None, metadata={"item": 'CODED PROCEDURE AND PROCEDURE STATUS (SNOMED CT)', "uid": 'I202110'})
    FindSchemeInUse: str | None = attrs.field(default=None, metadata={"item": 'FINDING SCHEME IN USE (MENTAL HEALTH)', "uid": 'I202050'})
    CodeFind: str | None = attrs.field(default=None, metadata={"item": 'CODED FINDING (CODED CLINICAL ENTRY)', "uid": 'I202060'})
    CodeObs: str | None = attrs.field(default=None, metadata={"item": 'CODED OBSERVATION (SNOMED CT)', "uid": 'I202080'})
    ObsValue: str | None = attrs.field(default=None, metadata={"item": 'OBSERVATION VALUE', "uid": 'I202090'})
    UnitMeasure: str | None = attrs.field(default=None, metadata={"item": 'UCUM UNIT OF MEASUREMENT', "uid": 'I202100'})


@attrs.frozen(slots=True)
class IDS601MedHistPrevDiag:
    """IDS601: Medical history: previous diagnoses (one row per previous diagnosis)."""

    LocalPatientId: str | None = attrs.field(default=None, metadata={"item": 'LOCAL PATIENT IDENTIFIER (EXTENDED)', "uid": 'I601901'})
    DiagSchemeInUse: str | None = attrs.field(default=None, metadata={"item": 'DIAGNOSIS SCHEME IN USE (MENTAL HEALTH)', "uid": 'I601010'})
    PrevDiag: str | None = attrs.field(default=None, metadata={"item": 'PREVIOUS DIAGNOSIS (CODED CLINICAL ENTRY)', "uid": 'I601020'})
    DiagDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'DIAGNOSIS DATE', "uid": 'I601030'})


@attrs.frozen(slots=True)
class IDS602LongTermCondition:
    """IDS602: Long-term physical health conditions (one row per condition)."""

    ServiceRequestId: str | None = attrs.field(default=None, metadata={"item": 'SERVICE REQUEST IDENTIFIER', "uid": 'I602902'})
    FindSchemeInUse: str | None = attrs.field(default=None, metadata={"item": 'FINDING SCHEME IN USE (MENTAL HEALTH)', "uid": 'I602913'})
    LongTermCondition: str | None = attrs.field(default=None, metadata={"item": 'LONG TERM PHYSICAL HEALTH CONDITION (CODED CLINICAL ENTRY)', "uid": 'I602010'})


@attrs.frozen(slots=True)
class IDS603PresentingComplaints:
    """IDS603: Presenting complaints (problem descriptor: ICD-10 or SNOMED) (one row per complaint)."""

    ServiceRequestId: str | None = attrs.field(default=None, metadata={"item": 'SERVICE REQUEST IDENTIFIER', "uid": 'I603902'})
    FindSchemeInUse: str | None = attrs.field(default=None, metadata={"item": 'FINDING SCHEME IN USE (MENTAL HEALTH)', "uid": 'I603913'})
    PresComp: str | None = attrs.field(default=None, metadata={"item": 'PRESENTING COMPLAINT (CODED CLINICAL ENTRY)', "uid": 'I603010'})
    PresCompCodSig: str | None = attrs.field(default=None, metadata={"item": 'PRESENTING COMPLAINT CODING SIGNIFICANCE', "uid": 'I603020'})
    PresCompDate: datetime.date | None = attrs.field(default=None, metadata={"item": 'PRESENTING COMPLAINT RECORDED DATE', "uid": 'I603030'})


RECORD_CLASSES: dict[str, type] = {
    "IDS000": IDS000Header,
    "IDS001": IDS001MPI,
    "IDS002": IDS002GP,
    "IDS003": IDS003AccommStatus,
    "IDS004": IDS004EmpStatus,
    "IDS007": IDS007DisabilityType,
    "IDS011": IDS011SocPerCircumstances,
    "IDS012": IDS012OverseasVisitorChargCat,
    "IDS101": IDS101Referral,
    "IDS105": IDS105OnwardReferral,
    "IDS108": IDS108WaitingTimePauses,
    "IDS201": IDS201CareContact,
    "IDS202": IDS202CareActivity,
    "IDS205": IDS205InternetTherLog,
    "IDS601": IDS601MedHistPrevDiag,
    "IDS602": IDS602LongTermCondition,
    "IDS603": IDS603PresentingComplaints,
    "IDS606": IDS606CodedScoreAssessmentRefer,
    "IDS607": IDS607CodedScoreAssessmentAct,
    "IDS803": IDS803CareCluster,
    "IDS902": IDS902CarePersQual,
}
